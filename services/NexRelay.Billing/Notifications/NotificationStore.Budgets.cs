using System.Globalization;
using System.Text.Json.Nodes;
using NexRelay.Contracts.Money;
using Npgsql;

namespace NexRelay.Billing.Notifications;

/// <summary>A key's budget bucket that may have crossed one of its thresholds.</summary>
public readonly record struct BudgetBucket(Guid WalletId, Guid KeyId, string PeriodKey);

/// <summary>
/// Budget thresholds: a key's budget at 80 % and 100 % (used up) of its period, for the wallet whose settings ask for them
/// (<c>budget_alerts</c>). The bucket (<c>key_budgets</c>) remembers its wallet and limit since Migrations/0013; whether a
/// threshold is reached is the SQL function <c>budget_threshold_reached</c> (Migrations/Functions), and whether that sends an
/// event is <see cref="ThresholdRule"/>, as for the balance. Spending only grows within a period, so a threshold re-arms only
/// when the key's limit is raised; a new period is a new bucket with thresholds of its own.
/// </summary>
public sealed partial class NotificationStore
{
    public const string BudgetEventType = "budget.threshold_reached";

    /// <summary>The thresholds every limited budget has, in percent of its limit.</summary>
    public static readonly int[] BudgetPercents = [80, 100];

    /// <summary>
    /// The current buckets (<paramref name="periodKeys"/>: the total, today's and this month's) of wallets with budget alerts
    /// whose thresholds are on the other side of their states: usually none. Each is decided again under its lock
    /// (<see cref="EvaluateBudgetAsync"/>).
    /// </summary>
    public async Task<List<BudgetBucket>> BudgetsToEvaluateAsync(string[] periodKeys, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT DISTINCT b.wallet_id, b.key_id, b.period_key FROM notification_settings s
            JOIN key_budgets b ON b.wallet_id = s.wallet_id AND b.budget_limit IS NOT NULL AND b.period_key = ANY($1)
            CROSS JOIN unnest($2::int[]) AS t(percent)
            LEFT JOIN notification_states st ON st.wallet_id = s.wallet_id
                AND st.subject = 'budget:' || b.key_id::text || ':' || b.period_key || ':' || t.percent::text
            WHERE s.budget_alerts
                AND budget_threshold_reached(t.percent, b.spent, b.budget_limit, b.refused_at) <> COALESCE(st.fired, false)
            """);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = periodKeys });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = BudgetPercents });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var buckets = new List<BudgetBucket>();
        while (await reader.ReadAsync(cancellationToken)) buckets.Add(new BudgetBucket(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2)));
        return buckets;
    }

    /// <summary>
    /// Checks the bucket's thresholds in one transaction, as <see cref="EvaluateBalanceAsync"/> does the balance's: the wallet's
    /// settings row locked, each threshold's state changed and its event, if due, written to the outbox with it. Returns how
    /// many events were written.
    /// </summary>
    public async Task<int> EvaluateBudgetAsync(BudgetBucket bucket, TimeSpan flapWindow, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        long spent, limit;
        bool refused;
        DateTimeOffset now;
        var reached = new bool[BudgetPercents.Length];
        await using (var read = new NpgsqlCommand("""
            SELECT b.spent, b.budget_limit, b.refused_at IS NOT NULL, now(),
                array(SELECT budget_threshold_reached(t.percent, b.spent, b.budget_limit, b.refused_at) FROM unnest($4::int[]) AS t(percent))
            FROM notification_settings s JOIN key_budgets b ON b.wallet_id = s.wallet_id
            WHERE s.wallet_id = $1 AND s.budget_alerts AND b.key_id = $2 AND b.period_key = $3 AND b.budget_limit IS NOT NULL
            FOR UPDATE OF s
            """, connection, tx))
        {
            read.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = bucket.WalletId });
            read.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = bucket.KeyId });
            read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = bucket.PeriodKey });
            read.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = BudgetPercents });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return 0;
            (spent, limit, refused, now) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetBoolean(2), reader.GetFieldValue<DateTimeOffset>(3));
            reached = reader.GetFieldValue<bool[]>(4);
        }
        var sent = 0;
        for (var i = 0; i < BudgetPercents.Length; i++)
        {
            var subject = BudgetSubject(bucket, BudgetPercents[i]);
            var state = await ReadStateAsync(connection, tx, bucket.WalletId, subject, cancellationToken);
            var (next, send) = ThresholdRule.Decide(reached[i], state, now, flapWindow);
            if (next == state) continue;
            await WriteStateAsync(connection, tx, bucket.WalletId, subject, next, cancellationToken);
            if (!send) continue;
            await WriteEventAsync(connection, tx, bucket.WalletId, BudgetEventType, now, new JsonObject
            {
                ["key_id"] = bucket.KeyId.ToString(),
                ["period_key"] = bucket.PeriodKey,
                ["percent"] = BudgetPercents[i],
                ["spent_usd"] = Micros.ToUsd(spent),
                ["budget_usd"] = Micros.ToUsd(limit),
                // Used up although spent is below the limit: the budget refused a request it could no longer cover.
                ["refused"] = refused,
            }, cancellationToken);
            sent++;
        }
        await tx.CommitAsync(cancellationToken);
        return sent;
    }

    private static string BudgetSubject(BudgetBucket bucket, int percent) =>
        string.Create(CultureInfo.InvariantCulture, $"budget:{bucket.KeyId}:{bucket.PeriodKey}:{percent}");
}
