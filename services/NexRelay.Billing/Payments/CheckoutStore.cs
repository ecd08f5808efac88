using Npgsql;

namespace NexRelay.Billing.Payments;

public sealed record CheckoutResult(string Status, long? EntryId, Guid? CheckoutId, Guid? WalletId);

public sealed record DebitResult(string Status, long? EntryId, long Owed, long Collected, long Shortfall);

/// <summary>Checkouts and the Stripe events applied to them (billingdb); crediting and debiting are the SQL functions
/// <c>complete_checkout</c> and <c>debit_payment</c> (Migrations/Functions).</summary>
public sealed class CheckoutStore(NpgsqlDataSource dataSource)
{
    /// <summary>Records a checkout before its Stripe session exists, so no session NexRelay created is ever unknown to it.</summary>
    public async Task RecordAsync(Guid id, Guid walletId, Guid keyId, long amount, string currency, long amountMinor, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO checkouts (id, wallet_id, key_id, amount, currency, amount_minor) VALUES ($1, $2, $3, $4, $5, $6)");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = walletId });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = keyId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = amount });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = currency });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = amountMinor });
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task OpenAsync(Guid id, string sessionId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("UPDATE checkouts SET session_id = $2, state = 'open' WHERE id = $1 AND state = 'creating'");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<CheckoutResult> CompleteAsync(string eventId, string sessionId, long amountMinor, string currency, string? paymentIntent,
        CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT o_status, o_entry_id, o_checkout_id, o_wallet_id FROM complete_checkout($1, $2, $3, $4, $5)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = eventId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = amountMinor });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = currency });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = paymentIntent ?? "" });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetGuid(2),
            reader.IsDBNull(3) ? null : reader.GetGuid(3));
    }

    public async Task<DebitResult> DebitAsync(string eventId, string type, string paymentIntent, string kind, string reference, long amountMinor,
        bool cumulative, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT o_status, o_entry_id, o_owed, o_collected, o_shortfall FROM debit_payment($1, $2, $3, $4, $5, $6, $7)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = eventId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = type });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = paymentIntent });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = kind });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reference });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = amountMinor });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = cumulative });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.IsDBNull(2) ? 0 : reader.GetInt64(2),
            reader.IsDBNull(3) ? 0 : reader.GetInt64(3), reader.IsDBNull(4) ? 0 : reader.GetInt64(4));
    }
}
