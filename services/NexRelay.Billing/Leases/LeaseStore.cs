using Npgsql;
using NpgsqlTypes;

namespace NexRelay.Billing.Leases;

public sealed record LeaseOutcome(bool Granted, string? Shortfall, long GrantedMicros, long AvailableMicros, string PeriodKey,
    DateTimeOffset ReserveUntil);

public sealed record LeaseCloseOutcome(string State, long GrantedMicros, long CapturedMicros, long ReleasedMicros);

/// <summary>Credit leases: each operation is one call to a function in Migrations/Functions/, one round trip, one short transaction.</summary>
public sealed class LeaseStore(NpgsqlDataSource dataSource)
{
    /// <returns>The outcome, or null when the wallet does not exist.</returns>
    public async Task<LeaseOutcome?> OpenAsync(string leaseId, Guid walletId, Guid keyId, long targetMicros, long minimumMicros,
        int shareDivisor, string periodKey, long? budgetMicros, DateTimeOffset reserveUntil, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT o_granted, o_shortfall, o_amount, o_available, o_period_key, o_reserve_until FROM open_lease($1, $2, $3, $4, $5, $6, $7, $8, $9)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = leaseId, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = walletId });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = keyId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = targetMicros });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = minimumMicros });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = shareDivisor });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = periodKey, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(budgetMicros is { } budget
            ? new NpgsqlParameter<long> { TypedValue = budget }
            : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = reserveUntil.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new LeaseOutcome(
                reader.GetBoolean(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetInt64(2),
                reader.IsDBNull(3) ? 0 : reader.GetInt64(3),
                reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            return null;
        }
    }

    public async Task<LeaseCloseOutcome> CloseAsync(string leaseId, long spentMicros, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT o_state, o_granted, o_captured, o_released FROM close_lease($1, $2)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = leaseId, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = spentMicros });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new LeaseCloseOutcome(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    /// <summary>
    /// Orphaned leases, by the database's clock: open ones whose reserve window ended, and that were not renewed, more than
    /// <paramref name="timeoutSeconds"/> ago (a request placed before it may run on while its edge renews the lease), and closed
    /// ones whose settlements are that overdue.
    /// </summary>
    public async Task<List<string>> FindExpiredAsync(int timeoutSeconds, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            (SELECT lease_id FROM leases WHERE state = 'open' AND reserve_until < now() - make_interval(secs => $1)
               AND (alive_at IS NULL OR alive_at < now() - make_interval(secs => $1))
             ORDER BY reserve_until LIMIT $2)
            UNION ALL
            (SELECT lease_id FROM leases WHERE state = 'closed' AND held > captured AND closed_at < now() - make_interval(secs => $1)
               AND (alive_at IS NULL OR alive_at < now() - make_interval(secs => $1))
             ORDER BY closed_at LIMIT $2)
            LIMIT $2
            """);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = timeoutSeconds });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) ids.Add(reader.GetString(0));
        return ids;
    }

    /// <summary>Releases one orphaned lease's outstanding reserve in its own transaction (false when it no longer qualifies).</summary>
    public async Task<bool> ExpireAsync(string leaseId, int timeoutSeconds, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT expire_lease($1, $2)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = leaseId, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = timeoutSeconds });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }
}
