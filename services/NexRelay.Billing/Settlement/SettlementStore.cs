using Npgsql;

namespace NexRelay.Billing.Settlement;

public sealed record SettlementOutcome(string Outcome, Guid? WalletId, long HeldMicros, long CapturedMicros, long ReleasedMicros, bool Clamped);

/// <summary>Settlement and orphan expiry: each one call to a function in Migrations/0002, one short transaction.</summary>
public sealed class SettlementStore(NpgsqlDataSource dataSource)
{
    public async Task<SettlementOutcome> SettleAsync(string requestId, long costMicros, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT o_outcome, o_wallet, o_held, o_captured, o_released, o_clamped FROM settle_hold($1, $2)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = requestId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = costMicros });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new SettlementOutcome(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetGuid(1),
            reader.IsDBNull(2) ? 0 : reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetBoolean(5));
    }

    /// <summary>Request ids of holds open for longer than <paramref name="timeoutSeconds"/>, oldest first (by the database's clock,
    /// the same clock that stamped them, so replicas' clock skew does not matter).</summary>
    public async Task<List<string>> FindExpiredAsync(int timeoutSeconds, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT request_id FROM holds WHERE state = 'held' AND created_at < now() - make_interval(secs => $1) ORDER BY created_at LIMIT $2");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = timeoutSeconds });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) ids.Add(reader.GetString(0));
        return ids;
    }

    /// <summary>Releases one orphaned hold in its own transaction (false when it was settled meanwhile).</summary>
    public async Task<bool> ExpireAsync(string requestId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT expire_hold($1)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = requestId });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }
}
