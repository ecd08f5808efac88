using System.Text.Json;
using NexRelay.Contracts.Responses;
using Npgsql;
using NpgsqlTypes;

namespace NexRelay.Logging.Responses;

/// <summary>All SQL over <c>stored_responses</c> (Migrations/0003): one row per stored response, scoped to its owner's wallet.</summary>
public sealed class StoredResponseStore(NpgsqlDataSource dataSource)
{
    /// <summary>Stores the response once: the edge may hand the same one over again after a lost answer, and the first copy stays.</summary>
    public async Task<bool> InsertAsync(StoredResponse r, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO stored_responses (id, wallet_id, key_id, request_id, model, created_at, input, response)
            VALUES (@id, @wallet, @key, @request, @model, @created, @input, @response)
            ON CONFLICT (id) DO NOTHING
            """);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string>("id", NpgsqlDbType.Text) { TypedValue = r.Id });
        p.Add(new NpgsqlParameter<Guid>("wallet", NpgsqlDbType.Uuid) { TypedValue = r.WalletId });
        p.Add(new NpgsqlParameter<Guid>("key", NpgsqlDbType.Uuid) { TypedValue = r.KeyId });
        p.Add(new NpgsqlParameter<string>("request", NpgsqlDbType.Text) { TypedValue = Storable(r.RequestId) });
        p.Add(new NpgsqlParameter<string>("model", NpgsqlDbType.Text) { TypedValue = Storable(r.Model) });
        p.Add(new NpgsqlParameter<DateTime>("created", NpgsqlDbType.TimestampTz) { TypedValue = r.CreatedAt.UtcDateTime });
        p.Add(new NpgsqlParameter<string>("input", NpgsqlDbType.Text) { TypedValue = r.Input.GetRawText() });
        p.Add(new NpgsqlParameter<string>("response", NpgsqlDbType.Text) { TypedValue = r.Response.GetRawText() });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The response of this owner, or null: another owner's id is as unknown as one never stored.</summary>
    public async Task<StoredResponse?> GetAsync(string id, Guid walletId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT key_id, request_id, model, created_at, input, response FROM stored_responses WHERE id = @id AND wallet_id = @wallet
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("id", NpgsqlDbType.Text) { TypedValue = Storable(id) });
        command.Parameters.Add(new NpgsqlParameter<Guid>("wallet", NpgsqlDbType.Uuid) { TypedValue = walletId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        using var input = JsonDocument.Parse(reader.GetString(4));
        using var response = JsonDocument.Parse(reader.GetString(5));
        return new StoredResponse
        {
            Id = id, WalletId = walletId, KeyId = reader.GetGuid(0), RequestId = reader.GetString(1), Model = reader.GetString(2),
            CreatedAt = new DateTimeOffset(reader.GetDateTime(3), TimeSpan.Zero), Input = input.RootElement.Clone(), Response = response.RootElement.Clone(),
        };
    }

    public async Task<bool> DeleteAsync(string id, Guid walletId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM stored_responses WHERE id = @id AND wallet_id = @wallet");
        command.Parameters.Add(new NpgsqlParameter<string>("id", NpgsqlDbType.Text) { TypedValue = Storable(id) });
        command.Parameters.Add(new NpgsqlParameter<Guid>("wallet", NpgsqlDbType.Uuid) { TypedValue = walletId });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Deletes up to <paramref name="batchSize"/> responses stored before <paramref name="cutoff"/>.</summary>
    public async Task<int> PurgeBatchAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            DELETE FROM stored_responses WHERE ctid IN (
                SELECT ctid FROM stored_responses WHERE created_at < @cutoff LIMIT @batch)
            """);
        command.Parameters.Add(new NpgsqlParameter<DateTime>("cutoff", NpgsqlDbType.TimestampTz) { TypedValue = cutoff.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter<int>("batch", NpgsqlDbType.Integer) { TypedValue = batchSize });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Storable(string text) => Logs.RequestLogStore.Storable(text)!;
}
