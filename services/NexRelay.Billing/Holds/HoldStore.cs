using Npgsql;
using NpgsqlTypes;

namespace NexRelay.Billing.Holds;

public sealed record HoldOutcome(bool Granted, string? Shortfall, long NeededMicros, long AvailableMicros, string? PeriodKey);

/// <summary>The hold: one prepared call to <c>place_hold</c> (Migrations/Functions/place_hold.sql), one round trip, one tiny transaction.</summary>
public sealed class HoldStore(NpgsqlDataSource dataSource)
{
    private const string PlaceSql = "SELECT o_granted, o_shortfall, o_needed, o_available, o_period_key FROM place_hold($1, $2, $3, $4, $5, $6)";

    /// <returns>The outcome, or null when the wallet does not exist.</returns>
    public async Task<HoldOutcome?> PlaceAsync(string requestId, Guid walletId, Guid keyId, long amountMicros, string periodKey,
        long? budgetMicros, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(PlaceSql, connection)
        {
            Parameters =
            {
                new NpgsqlParameter<string> { TypedValue = requestId, NpgsqlDbType = NpgsqlDbType.Text },
                new NpgsqlParameter<Guid> { TypedValue = walletId },
                new NpgsqlParameter<Guid> { TypedValue = keyId },
                new NpgsqlParameter<long> { TypedValue = amountMicros },
                new NpgsqlParameter<string> { TypedValue = periodKey, NpgsqlDbType = NpgsqlDbType.Text },
                budgetMicros is { } budget
                    ? new NpgsqlParameter<long> { TypedValue = budget }
                    : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint },
            },
        };
        // Prepared once per physical connection; Npgsql keeps it across pool rentals.
        await command.PrepareAsync(cancellationToken);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new HoldOutcome(
                reader.GetBoolean(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetInt64(2),
                reader.IsDBNull(3) ? 0 : reader.GetInt64(3),
                reader.IsDBNull(4) ? null : reader.GetString(4));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            return null;
        }
    }
}
