using System.Text;
using NexRelay.ServiceDefaults.Data;
using Npgsql;
using NpgsqlTypes;

namespace NexRelay.Billing.Wallets;

public sealed record Wallet(Guid Id, string Name, long Balance, long Reserved, DateTimeOffset CreatedAt);

public sealed record LedgerEntry(long Id, Guid WalletId, string Kind, string? RequestId, string? Reference, long Amount,
    long BalanceDelta, long ReservedDelta, long BalanceAfter, long ReservedAfter, string[] Flags, string? Note, DateTimeOffset CreatedAt);

public enum CreditStatus { Created, Existing, Conflict, NoWallet }

public sealed record BudgetBucket(string PeriodKey, long Spent, long Reserved);

/// <summary>Wallets, credits, the ledger and budget buckets (reads and admin writes; holds and settlement have their own stores).</summary>
public sealed class WalletStore(NpgsqlDataSource dataSource)
{
    private const string WalletColumns = "id, name, balance, reserved, created_at";
    private const string LedgerColumns =
        "id, wallet_id, kind, request_id, reference, amount, balance_delta, reserved_delta, balance_after, reserved_after, flags, note, created_at";

    public async Task<Wallet> CreateAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"INSERT INTO wallets (id, name) VALUES ($1, $2) RETURNING {WalletColumns}");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Guid.CreateVersion7() });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return ReadWallet(reader);
    }

    public async Task<Wallet?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {WalletColumns} FROM wallets WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadWallet(reader) : null;
    }

    /// <summary>
    /// Up to <paramref name="limit"/> wallets newest first, strictly before <paramref name="before"/>: the one with id
    /// <paramref name="id"/>, or those whose name contains <paramref name="nameContains"/> (case-insensitive), or all.
    /// </summary>
    public async Task<List<Wallet>> ListAsync(Guid? id, string? nameContains, CreatedCursor? before, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand();
        var sql = new StringBuilder($"SELECT {WalletColumns} FROM wallets WHERE true");
        if (id is { } walletId)
        {
            sql.Append(" AND id = @id");
            command.Parameters.Add(new NpgsqlParameter<Guid>("id", NpgsqlDbType.Uuid) { TypedValue = walletId });
        }
        if (nameContains is not null)
        {
            sql.Append(" AND name ILIKE @pattern");
            command.Parameters.Add(new NpgsqlParameter<string>("pattern", NpgsqlDbType.Text) { TypedValue = LikePattern.Containing(nameContains) });
        }
        if (before is { } cursor)
        {
            // A row comparison, so the (created_at, id) index both filters and orders.
            sql.Append(" AND (created_at, id) < (@before_at, @before_id)");
            command.Parameters.Add(new NpgsqlParameter<DateTime>("before_at", NpgsqlDbType.TimestampTz) { TypedValue = cursor.CreatedAt.UtcDateTime });
            command.Parameters.Add(new NpgsqlParameter<Guid>("before_id", NpgsqlDbType.Uuid) { TypedValue = cursor.Id });
        }
        sql.Append(" ORDER BY created_at DESC, id DESC LIMIT @limit");
        command.Parameters.Add(new NpgsqlParameter<int>("limit", NpgsqlDbType.Integer) { TypedValue = limit });
        command.CommandText = sql.ToString();
        var wallets = new List<Wallet>(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) wallets.Add(ReadWallet(reader));
        return wallets;
    }

    /// <summary>Credits once per (wallet, reference); returns the credit's ledger entry (the original one on a repeat).</summary>
    public async Task<(CreditStatus Status, LedgerEntry? Entry)> CreditAsync(Guid walletId, long amountMicros, string reference,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        CreditStatus status;
        long entryId;
        await using (var command = new NpgsqlCommand("SELECT o_status, o_entry_id FROM add_credit($1, $2, $3)", connection))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = walletId });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = amountMicros });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reference });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            status = reader.GetString(0) switch
            {
                "created" => CreditStatus.Created,
                "existing" => CreditStatus.Existing,
                "conflict" => CreditStatus.Conflict,
                _ => CreditStatus.NoWallet,
            };
            entryId = reader.IsDBNull(1) ? 0 : reader.GetInt64(1);
        }
        if (status == CreditStatus.NoWallet) return (status, null);

        await using var read = new NpgsqlCommand($"SELECT {LedgerColumns} FROM ledger_entries WHERE id = $1", connection);
        read.Parameters.Add(new NpgsqlParameter<long> { TypedValue = entryId });
        await using var entryReader = await read.ExecuteReaderAsync(cancellationToken);
        await entryReader.ReadAsync(cancellationToken);
        return (status, ReadEntry(entryReader));
    }

    /// <summary>Newest first; <paramref name="beforeId"/> is the cursor (the last id of the previous page).</summary>
    public async Task<List<LedgerEntry>> LedgerPageAsync(Guid walletId, long? beforeId, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {LedgerColumns} FROM ledger_entries WHERE wallet_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = walletId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = beforeId ?? long.MaxValue });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var entries = new List<LedgerEntry>(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) entries.Add(ReadEntry(reader));
        return entries;
    }

    public async Task<BudgetBucket> GetBudgetAsync(Guid keyId, string periodKey, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT spent, reserved FROM key_budgets WHERE key_id = $1 AND period_key = $2");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = keyId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = periodKey });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new BudgetBucket(periodKey, reader.GetInt64(0), reader.GetInt64(1))
            : new BudgetBucket(periodKey, 0, 0);
    }

    private static Wallet ReadWallet(NpgsqlDataReader r) =>
        new(r.GetGuid(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetFieldValue<DateTimeOffset>(4));

    private static LedgerEntry ReadEntry(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetGuid(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
        r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetFieldValue<string[]>(10),
        r.IsDBNull(11) ? null : r.GetString(11), r.GetFieldValue<DateTimeOffset>(12));
}
