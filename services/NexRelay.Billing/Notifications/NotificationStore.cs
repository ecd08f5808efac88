using System.Globalization;
using System.Text.Json.Nodes;
using NexRelay.Contracts.Money;
using Npgsql;

namespace NexRelay.Billing.Notifications;

public sealed record NotificationSettings(Guid WalletId, string Url, string Secret, long? BalanceBelow, bool BudgetAlerts, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record DueDelivery(Guid Id, Guid WalletId, string EventType, string Body, int Attempts, string? Url, string? Secret);

public sealed record DeliveryAttempt(int Attempt, DateTimeOffset AttemptedAt, int? StatusCode, string? Error);

public sealed record Delivery(long Seq, Guid Id, Guid WalletId, string EventType, string Body, string State, int Attempts,
    DateTimeOffset NextAttemptAt, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, List<DeliveryAttempt> AttemptLog);

/// <summary>
/// Notification settings, threshold states, the outbox of events and their delivery log (billingdb, Migrations/0012 and 0013).
/// The budget thresholds are in NotificationStore.Budgets.cs.
/// </summary>
public sealed partial class NotificationStore(NpgsqlDataSource dataSource)
{
    /// <summary>Creates or replaces the wallet's settings; <c>Created</c> when new (its secret is then shown, once). Null: no such wallet.</summary>
    public async Task<(NotificationSettings Settings, bool Created)?> UpsertSettingsAsync(Guid walletId, string url, long? balanceBelow,
        bool budgetAlerts, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM wallets WHERE id = $1", connection, tx))
        {
            exists.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = walletId });
            if (await exists.ExecuteScalarAsync(cancellationToken) is null) return null;
        }
        (NotificationSettings, bool) result;
        await using (var command = new NpgsqlCommand("""
            INSERT INTO notification_settings (wallet_id, url, secret, balance_below, budget_alerts) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (wallet_id) DO UPDATE SET url = EXCLUDED.url, balance_below = EXCLUDED.balance_below,
                budget_alerts = EXCLUDED.budget_alerts, updated_at = now()
            RETURNING wallet_id, url, secret, balance_below, budget_alerts, created_at, updated_at, (xmax = 0) AS created
            """, connection, tx))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = walletId });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = url });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = WebhookSigner.NewSecret() });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)balanceBelow ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = budgetAlerts });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            result = (ReadSettings(reader), reader.GetBoolean(7));
        }
        // A changed threshold starts armed: the old one's state is about a line that no longer exists. Budget states stay: their
        // lines are the keys' limits, not these settings.
        await using (var states = new NpgsqlCommand(
            "DELETE FROM notification_states WHERE wallet_id = $1 AND subject LIKE 'balance:%' AND subject <> $2", connection, tx))
        {
            states.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = walletId });
            states.Parameters.Add(new NpgsqlParameter<string> { TypedValue = BalanceSubject(balanceBelow) });
            await states.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        return result;
    }

    public async Task<NotificationSettings?> GetSettingsAsync(Guid walletId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT wallet_id, url, secret, balance_below, budget_alerts, created_at, updated_at FROM notification_settings WHERE wallet_id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = walletId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadSettings(reader) : null;
    }

    /// <summary>Removes the settings and the thresholds' states; events not yet delivered are given up by the worker.</summary>
    public async Task<NotificationSettings?> DeleteSettingsAsync(Guid walletId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            WITH states AS (DELETE FROM notification_states WHERE wallet_id = $1)
            DELETE FROM notification_settings WHERE wallet_id = $1
            RETURNING wallet_id, url, secret, balance_below, budget_alerts, created_at, updated_at
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = walletId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadSettings(reader) : null;
    }

    /// <summary>
    /// Wallets whose balance is on the other side of their threshold than its state says: the only ones an evaluation can
    /// change. One query per pass, usually answering nothing, instead of one transaction per wallet with settings (passes
    /// run after every settlement batch). Each is decided again under its lock (<see cref="EvaluateBalanceAsync"/>).
    /// </summary>
    public async Task<List<Guid>> WalletsToEvaluateAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT s.wallet_id FROM notification_settings s
            JOIN wallets w ON w.id = s.wallet_id
            LEFT JOIN notification_states st ON st.wallet_id = s.wallet_id AND st.subject = 'balance:' || s.balance_below::text
            WHERE s.balance_below IS NOT NULL AND (w.balance < s.balance_below) <> COALESCE(st.fired, false)
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken)) ids.Add(reader.GetGuid(0));
        return ids;
    }

    /// <summary>
    /// Checks the wallet's balance threshold against its balance now, in one transaction: the settings row is locked (so
    /// replicas evaluating the same wallet take turns), the state changes and the event, if one is due, is written to the
    /// outbox with it. A crash before the commit changes nothing and the next evaluation decides again; after it, the event
    /// is in the outbox. Returns whether an event was written.
    /// </summary>
    public async Task<bool> EvaluateBalanceAsync(Guid walletId, TimeSpan flapWindow, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        long threshold, balance;
        DateTimeOffset now;
        await using (var read = new NpgsqlCommand("""
            SELECT s.balance_below, w.balance, now() FROM notification_settings s JOIN wallets w ON w.id = s.wallet_id
            WHERE s.wallet_id = $1 AND s.balance_below IS NOT NULL FOR UPDATE OF s
            """, connection, tx))
        {
            read.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = walletId });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return false;
            (threshold, balance, now) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2));
        }
        var subject = BalanceSubject(threshold);
        var state = await ReadStateAsync(connection, tx, walletId, subject, cancellationToken);
        var (next, send) = ThresholdRule.Decide(balance < threshold, state, now, flapWindow);
        if (next == state) return false;
        await WriteStateAsync(connection, tx, walletId, subject, next, cancellationToken);
        if (send)
        {
            await WriteEventAsync(connection, tx, walletId, BalanceEventType, now,
                new JsonObject { ["balance_usd"] = Micros.ToUsd(balance), ["threshold_usd"] = Micros.ToUsd(threshold) }, cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        return send;
    }

    /// <summary>
    /// Takes up to <paramref name="limit"/> due deliveries, pushing their next attempt <paramref name="claim"/> ahead so
    /// another replica (or this one, after a crash mid-attempt) retries them only once that has passed: at least once, and
    /// receivers deduplicate on the event id.
    /// </summary>
    public async Task<List<DueDelivery>> ClaimDueAsync(int limit, TimeSpan claim, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE notification_deliveries d SET next_attempt_at = now() + $2
            FROM (SELECT id FROM notification_deliveries WHERE state = 'pending' AND next_attempt_at <= now()
                  ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
            WHERE d.id = due.id
            RETURNING d.id, d.wallet_id, d.event_type, d.body, d.attempts,
                (SELECT url FROM notification_settings s WHERE s.wallet_id = d.wallet_id),
                (SELECT secret FROM notification_settings s WHERE s.wallet_id = d.wallet_id)
            """);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = claim });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var due = new List<DueDelivery>();
        while (await reader.ReadAsync(cancellationToken))
        {
            due.Add(new DueDelivery(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
        }
        return due;
    }

    /// <summary>
    /// Records attempt number <paramref name="attempt"/> and its outcome: delivered, given up, or retried at
    /// <paramref name="retryAt"/>. Only the holder of that attempt number records it (a second claim of the same delivery,
    /// after a stalled one, changes nothing twice).
    /// </summary>
    public async Task RecordAttemptAsync(Guid id, int attempt, int? statusCode, string? error, string state, DateTimeOffset? retryAt,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            WITH d AS (
                UPDATE notification_deliveries SET attempts = $2, state = $5,
                    next_attempt_at = COALESCE($6, next_attempt_at), finished_at = CASE WHEN $5 = 'pending' THEN NULL ELSE now() END
                WHERE id = $1 AND state = 'pending' AND attempts = $2 - 1
                RETURNING id)
            INSERT INTO notification_attempts (delivery_id, attempt, status_code, error)
            SELECT id, $2, $3, $4 FROM d
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempt });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)statusCode ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = state });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)retryAt ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The wallet's deliveries, newest first, before <paramref name="beforeSeq"/>, each with its attempts.</summary>
    public async Task<List<Delivery>> DeliveriesPageAsync(Guid walletId, long? beforeSeq, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT d.seq, d.id, d.wallet_id, d.event_type, d.body, d.state, d.attempts, d.next_attempt_at, d.created_at, d.finished_at,
                a.attempt, a.attempted_at, a.status_code, a.error
            FROM (SELECT * FROM notification_deliveries WHERE wallet_id = $1 AND ($2::bigint IS NULL OR seq < $2)
                  ORDER BY seq DESC LIMIT $3) d
            LEFT JOIN notification_attempts a ON a.delivery_id = d.id
            ORDER BY d.seq DESC, a.attempt
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = walletId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)beforeSeq ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var page = new List<Delivery>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var seq = reader.GetInt64(0);
            if (page.Count == 0 || page[^1].Seq != seq)
            {
                page.Add(new Delivery(seq, reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                    reader.GetInt32(6), reader.GetFieldValue<DateTimeOffset>(7), reader.GetFieldValue<DateTimeOffset>(8),
                    reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9), []));
            }
            if (!reader.IsDBNull(10))
            {
                page[^1].AttemptLog.Add(new DeliveryAttempt(reader.GetInt32(10), reader.GetFieldValue<DateTimeOffset>(11),
                    reader.IsDBNull(12) ? null : reader.GetInt32(12), reader.IsDBNull(13) ? null : reader.GetString(13)));
            }
        }
        return page;
    }

    public const string BalanceEventType = "balance.below_threshold";

    private static async Task<ThresholdState> ReadStateAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid walletId, string subject,
        CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand("SELECT fired, last_fired_at FROM notification_states WHERE wallet_id = $1 AND subject = $2", connection, tx);
        read.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = walletId });
        read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subject });
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ThresholdState(reader.GetBoolean(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1))
            : new ThresholdState(false, null);
    }

    private static async Task WriteStateAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid walletId, string subject, ThresholdState state,
        CancellationToken cancellationToken)
    {
        await using var write = new NpgsqlCommand("""
            INSERT INTO notification_states (wallet_id, subject, fired, last_fired_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (wallet_id, subject) DO UPDATE SET fired = EXCLUDED.fired, last_fired_at = EXCLUDED.last_fired_at
            """, connection, tx);
        write.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = walletId });
        write.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subject });
        write.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = state.Fired });
        write.Parameters.Add(new NpgsqlParameter { Value = (object?)state.LastFiredAt ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        await write.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Writes one event into the outbox, in the transaction that decided it: its id is the one receivers deduplicate on.</summary>
    private static async Task WriteEventAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid walletId, string type, DateTimeOffset now,
        JsonObject data, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7();
        var body = new JsonObject
        {
            ["id"] = id.ToString(),
            ["type"] = type,
            ["created_at"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
            ["wallet_id"] = walletId.ToString(),
            ["data"] = data,
        }.ToJsonString();
        await using var outbox = new NpgsqlCommand(
            "INSERT INTO notification_deliveries (id, wallet_id, event_type, body) VALUES ($1, $2, $3, $4)", connection, tx);
        outbox.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        outbox.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = walletId });
        outbox.Parameters.Add(new NpgsqlParameter<string> { TypedValue = type });
        outbox.Parameters.Add(new NpgsqlParameter<string> { TypedValue = body });
        await outbox.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string BalanceSubject(long? threshold) => "balance:" + threshold?.ToString(CultureInfo.InvariantCulture);

    private static NotificationSettings ReadSettings(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.GetString(2),
        r.IsDBNull(3) ? null : r.GetInt64(3), r.GetBoolean(4), r.GetFieldValue<DateTimeOffset>(5), r.GetFieldValue<DateTimeOffset>(6));
}
