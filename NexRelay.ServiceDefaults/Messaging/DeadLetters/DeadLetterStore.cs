using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace NexRelay.ServiceDefaults.Messaging.DeadLetters;

/// <summary>
/// All SQL over a service's <c>dead_letters</c> table (each service's migrations create it in its own database, next to the
/// rows its events would have written).
/// </summary>
public sealed partial class DeadLetterStore(NpgsqlDataSource dataSource, ILogger<DeadLetterStore> logger)
{
    private const int MaxTextLength = 2000;
    private const int RequeueChunk = 500;
    private const string Columns = "id, request_id, kind, reason, failures, first_failed_at, last_failed_at, event";

    /// <summary>
    /// Records the letters in one statement. One row per request id (or per event text when it has no readable id): the same
    /// poison delivered again, in another envelope or as a single message, counts a failure more rather than a second row.
    /// </summary>
    public async Task AddAsync(IReadOnlyCollection<DeadLetter> letters, CancellationToken cancellationToken)
    {
        if (letters.Count == 0) return;
        // ON CONFLICT DO UPDATE may touch a row once per statement: the last letter of a key wins.
        var rows = letters.GroupBy(KeyOf).Select(g => (Key: g.Key, Letter: g.Last())).ToArray();
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO dead_letters (event_key, request_id, kind, reason, event)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
            ON CONFLICT (event_key) DO UPDATE SET request_id = excluded.request_id, kind = excluded.kind, reason = excluded.reason,
                event = excluded.event, failures = dead_letters.failures + 1, last_failed_at = now()
            """);
        Add(command, rows.Select(r => r.Key));
        Add(command, rows.Select(r => r.Letter.RequestId is { } id ? Printable(id) : null));
        Add(command, rows.Select(r => r.Letter.Kind));
        Add(command, rows.Select(r => Printable(r.Letter.Reason)));
        Add(command, rows.Select(r => r.Letter.Event.GetRawText()));
        await command.ExecuteNonQueryAsync(cancellationToken);
        foreach (var (_, letter) in rows) LogDeadLettered(logger, letter.RequestId, letter.Kind, letter.Reason);
    }

    /// <summary>Newest first, <paramref name="limit"/> from before the id <paramref name="before"/>.</summary>
    public async Task<List<DeadLetterEntry>> ListAsync(long? before, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM dead_letters WHERE id < $1 ORDER BY id DESC LIMIT $2");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = before ?? long.MaxValue });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await ReadAsync(command, cancellationToken);
    }

    public async Task<DeadLetterEntry?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM dead_letters WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        return (await ReadAsync(command, cancellationToken)).FirstOrDefault();
    }

    public async Task<DeadLetterEntry?> DeleteAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"DELETE FROM dead_letters WHERE id = $1 RETURNING {Columns}");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        return (await ReadAsync(command, cancellationToken)).FirstOrDefault();
    }

    /// <summary>
    /// Takes the dead letter <paramref name="id"/> (or every one, when null) out of the table and hands their events to
    /// <paramref name="send"/>, in chunks, each chunk one transaction that commits only once its events are sent: a failed send
    /// leaves them listed. An event that fails again while being re-queued is dead-lettered anew (a new id) once the
    /// transaction that took its old row commits, and "every one" stops at the last id there was when it began.
    /// </summary>
    /// <returns>How many were re-queued.</returns>
    public async Task<int> RequeueAsync(long? id, Func<IReadOnlyList<JsonElement>, CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        long last;
        await using (var max = new NpgsqlCommand("SELECT coalesce(max(id), 0) FROM dead_letters", connection))
        {
            last = (long)(await max.ExecuteScalarAsync(cancellationToken))!;
        }
        var requeued = 0;
        while (true)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var take = new NpgsqlCommand(
                id is null
                    ? "DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters WHERE id <= $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING event"
                    : "DELETE FROM dead_letters WHERE id = $1 RETURNING event",
                connection, transaction);
            take.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id ?? last });
            if (id is null) take.Parameters.Add(new NpgsqlParameter<int> { TypedValue = RequeueChunk });
            var events = new List<JsonElement>();
            await using (var reader = await take.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    using var document = JsonDocument.Parse(reader.GetString(0));
                    events.Add(document.RootElement.Clone());
                }
            }
            if (events.Count == 0) return requeued;
            await send(events, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            requeued += events.Count;
            LogRequeued(logger, events.Count);
            if (id is not null) return requeued;
        }
    }

    private static async Task<List<DeadLetterEntry>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var entries = new List<DeadLetterEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            using var document = JsonDocument.Parse(reader.GetString(7));
            entries.Add(new DeadLetterEntry(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2),
                reader.GetString(3), reader.GetInt32(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6),
                document.RootElement.Clone()));
        }
        return entries;
    }

    /// <summary>The request id's hash (an id can be longer than an index allows), or the event's when it has no readable id.</summary>
    private static string KeyOf(DeadLetter letter) => string.IsNullOrEmpty(letter.RequestId)
        ? "event:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(letter.Event.GetRawText())))
        : "request:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(letter.RequestId)));

    /// <summary>What a text column takes: no NUL (PostgreSQL refuses it, which may be why the event is here), bounded length.</summary>
    private static string Printable(string text)
    {
        var clean = text.Replace('\0', '\uFFFD');
        return clean.Length <= MaxTextLength ? clean : clean[..MaxTextLength] + "…";
    }

    private static void Add(NpgsqlCommand command, IEnumerable<string?> values) =>
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered request event {RequestId} ({Kind}): {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, string? requestId, string kind, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Re-queued {Count} dead-lettered request events")]
    private static partial void LogRequeued(ILogger logger, int count);
}
