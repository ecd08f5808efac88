using Npgsql;

namespace NexRelay.Billing.Redemption;

public sealed record RedemptionBatch(Guid Id, long Amount, int CodeCount, DateTimeOffset ExpiresAt, string? Note, DateTimeOffset CreatedAt,
    DateTimeOffset? VoidedAt, int Redeemed, int Unused, int Voided);

public enum RedeemStatus { Redeemed, Unknown, Used, Voided, Expired, NoWallet }

public sealed record RedeemResult(RedeemStatus Status, long? EntryId, long? Amount, Guid? BatchId);

public enum VoidStatus { Voided, AlreadyVoided, Redeemed, Unknown }

/// <summary>Redemption batches and codes (billingdb). Redeeming is one call to <c>redeem_code</c> (Migrations/Functions).</summary>
public sealed class RedemptionStore(NpgsqlDataSource dataSource)
{
    private const string BatchColumns = """
        b.id, b.amount, b.code_count, b.expires_at, b.note, b.created_at, b.voided_at,
        (SELECT count(*) FILTER (WHERE c.state = 'redeemed')::int FROM redemption_codes c WHERE c.batch_id = b.id),
        (SELECT count(*) FILTER (WHERE c.state = 'unused')::int FROM redemption_codes c WHERE c.batch_id = b.id),
        (SELECT count(*) FILTER (WHERE c.state = 'voided')::int FROM redemption_codes c WHERE c.batch_id = b.id)
        """;

    /// <summary>One batch and its codes (by hash), in one transaction: a batch is minted whole or not at all.</summary>
    public async Task<RedemptionBatch> MintAsync(long amount, DateTimeOffset expiresAt, string? note, IReadOnlyList<string> codeHashes,
        CancellationToken cancellationToken)
    {
        var batchId = Guid.CreateVersion7();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO redemption_batches (id, amount, code_count, expires_at, note) VALUES ($1, $2, $3, $4, $5)", connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = batchId });
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = amount });
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = codeHashes.Count });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = expiresAt });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)note ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var codes = new NpgsqlCommand(
            "INSERT INTO redemption_codes (id, batch_id, code_hash) SELECT ids, $2, hashes FROM unnest($1::uuid[], $3::text[]) AS t(ids, hashes)",
            connection, transaction))
        {
            codes.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. codeHashes.Select(_ => Guid.CreateVersion7())] });
            codes.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = batchId });
            codes.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. codeHashes] });
            await codes.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return (await GetAsync(batchId, cancellationToken))!;
    }

    public async Task<RedemptionBatch?> GetAsync(Guid batchId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {BatchColumns} FROM redemption_batches b WHERE b.id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = batchId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Newest first; <paramref name="before"/> is the cursor (the last batch id of the previous page: ids are time-ordered).</summary>
    public async Task<List<RedemptionBatch>> ListAsync(Guid? before, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {BatchColumns} FROM redemption_batches b WHERE ($1::uuid IS NULL OR b.id < $1) ORDER BY b.id DESC LIMIT $2");
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)before ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var batches = new List<RedemptionBatch>(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) batches.Add(Read(reader));
        return batches;
    }

    /// <summary>Voids a batch: its unused codes can no longer be redeemed (redeemed ones stay redeemed). Null: no such batch.</summary>
    public async Task<RedemptionBatch?> VoidBatchAsync(Guid batchId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            WITH batch AS (UPDATE redemption_batches SET voided_at = coalesce(voided_at, now()) WHERE id = $1 RETURNING id)
            UPDATE redemption_codes c SET state = 'voided', voided_at = now() FROM batch WHERE c.batch_id = batch.id AND c.state = 'unused'
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = batchId });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return await GetAsync(batchId, cancellationToken);
    }

    /// <summary>Voids one code, found by its hash; a redeemed code cannot be voided (its credit stands).</summary>
    public async Task<(VoidStatus Status, Guid? BatchId)> VoidCodeAsync(string codeHash, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            WITH target AS (SELECT id, batch_id, state FROM redemption_codes WHERE code_hash = $1 FOR UPDATE),
                 changed AS (UPDATE redemption_codes c SET state = 'voided', voided_at = now() FROM target
                             WHERE c.id = target.id AND target.state = 'unused' RETURNING c.id)
            SELECT target.batch_id, target.state, EXISTS (SELECT 1 FROM changed) FROM target
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = codeHash });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return (VoidStatus.Unknown, null);
        var batchId = reader.GetGuid(0);
        var status = reader.GetBoolean(2) ? VoidStatus.Voided : reader.GetString(1) == "voided" ? VoidStatus.AlreadyVoided : VoidStatus.Redeemed;
        return (status, batchId);
    }

    public async Task<RedeemResult> RedeemAsync(string codeHash, Guid walletId, Guid keyId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT o_status, o_entry_id, o_amount, o_batch_id FROM redeem_code($1, $2, $3)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = codeHash });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = walletId });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = keyId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var status = reader.GetString(0) switch
        {
            "redeemed" => RedeemStatus.Redeemed,
            "used" => RedeemStatus.Used,
            "voided" => RedeemStatus.Voided,
            "expired" => RedeemStatus.Expired,
            "no_wallet" => RedeemStatus.NoWallet,
            _ => RedeemStatus.Unknown,
        };
        return new RedeemResult(status, reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt64(2),
            reader.IsDBNull(3) ? null : reader.GetGuid(3));
    }

    private static RedemptionBatch Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetInt64(1), r.GetInt32(2), r.GetFieldValue<DateTimeOffset>(3),
        r.IsDBNull(4) ? null : r.GetString(4), r.GetFieldValue<DateTimeOffset>(5), r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6),
        r.GetInt32(7), r.GetInt32(8), r.GetInt32(9));
}
