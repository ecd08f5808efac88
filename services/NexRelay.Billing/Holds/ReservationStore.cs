using Npgsql;
using NpgsqlTypes;

namespace NexRelay.Billing.Holds;

/// <summary>Renewal of live reservations: one call to <c>renew_reservations</c> (Migrations/Functions/renew_reservations.sql).</summary>
public sealed class ReservationStore(NpgsqlDataSource dataSource)
{
    /// <returns>How many holds and open leases were renewed (the rest were settled, closed or already expired).</returns>
    public async Task<(int Holds, int Leases)> RenewAsync(IReadOnlyList<string> holdIds, IReadOnlyList<string> leaseIds,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT o_holds, o_leases FROM renew_reservations($1, $2)");
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. holdIds], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. leaseIds], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt32(0), reader.GetInt32(1));
    }
}
