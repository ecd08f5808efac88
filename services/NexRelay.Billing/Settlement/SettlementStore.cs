using Npgsql;
using NpgsqlTypes;

namespace NexRelay.Billing.Settlement;

/// <summary>One request to settle: from its lease when <paramref name="LeaseId"/> is set, else from its own hold.</summary>
/// <param name="Estimated">The cost was estimated by the edge (no final usage): its capture entry is flagged 'estimated'.</param>
public sealed record SettlementItem(string RequestId, string? LeaseId, long CostMicros, bool Estimated = false);

public sealed record SettlementOutcome(string Outcome, Guid? WalletId, long HeldMicros, long CapturedMicros, long ReleasedMicros, bool Clamped);

/// <summary>Settlement (a batch per transaction) and orphaned-hold expiry (one hold per transaction).</summary>
public sealed class SettlementStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Settles a batch in one transaction and one round trip (<c>settle_requests</c>, Migrations/Functions/settle_requests.sql): each item through
    /// <c>settle_leased</c> when it names a lease, else <c>settle_hold</c>, in the given order. Callers sort the items by
    /// wallet, key and request id so overlapping batches meet their rows in the same order.
    /// </summary>
    /// <returns>One outcome per item, in the items' order.</returns>
    public async Task<SettlementOutcome[]> SettleBatchAsync(IReadOnlyList<SettlementItem> items, CancellationToken cancellationToken)
    {
        var requestIds = new string[items.Count];
        var leaseIds = new string?[items.Count];
        var costs = new long[items.Count];
        var estimated = new bool[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            requestIds[i] = items[i].RequestId;
            leaseIds[i] = items[i].LeaseId;
            costs[i] = items[i].CostMicros;
            estimated[i] = items[i].Estimated;
        }
        // The four-argument form (Migrations/Functions/settle_requests.sql) flags estimated captures.
        await using var command = dataSource.CreateCommand(
            "SELECT o_index, o_outcome, o_wallet, o_held, o_captured, o_released, o_clamped FROM settle_requests($1, $2, $3, $4)");
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = requestIds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = leaseIds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = costs, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = estimated, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Boolean });
        var outcomes = new SettlementOutcome[items.Count];
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            outcomes[reader.GetInt32(0) - 1] = new SettlementOutcome(reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetGuid(2),
                reader.IsDBNull(3) ? 0 : reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetBoolean(6));
        }
        return outcomes;
    }

    /// <summary>Request ids of holds neither placed nor renewed within <paramref name="timeoutSeconds"/>, oldest first (by the
    /// database's clock, the same clock that stamped them, so replicas' clock skew does not matter).</summary>
    public async Task<List<string>> FindExpiredAsync(int timeoutSeconds, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT request_id FROM holds
            WHERE state = 'held' AND created_at < now() - make_interval(secs => $1)
              AND (alive_at IS NULL OR alive_at < now() - make_interval(secs => $1))
            ORDER BY created_at LIMIT $2
            """);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = timeoutSeconds });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) ids.Add(reader.GetString(0));
        return ids;
    }

    /// <summary>Releases one orphaned hold in its own transaction (false when it was settled or renewed meanwhile).</summary>
    public async Task<bool> ExpireAsync(string requestId, int timeoutSeconds, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT expire_hold($1, $2)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = requestId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = timeoutSeconds });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }
}
