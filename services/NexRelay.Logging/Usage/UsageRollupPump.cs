using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using NexRelay.Logging.Logs;
using Npgsql;

namespace NexRelay.Logging.Usage;

/// <summary>How often pending usage is folded into the daily rollups (<c>Logging:UsageRollupInterval</c>, default 1 s).</summary>
public sealed class UsageRollupOptions
{
    public const string Section = "Logging";

    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00", ErrorMessage = "Logging:UsageRollupInterval must be between 50 ms and 10 minutes.")]
    public TimeSpan UsageRollupInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Folds <c>usage_pending</c> (each stored batch's totals, appended by <c>RequestLogStore.InsertAsync</c>) into
/// <c>usage_daily</c> and <c>usage_daily_all</c>: one transaction deletes the pending rows it takes and adds them to both
/// rollups, so a row counts exactly once, pending or rolled up, and the usage queries read both. One pump runs at a time
/// across replicas (a transaction-scoped advisory lock); the rollup rows are upserted in key order. A failure leaves the
/// pending rows where they are for the next run. Sums saturate at bigint's maximum, as the store's do. See
/// docs/architecture.md, "Usage rollups".
/// </summary>
internal sealed partial class UsageRollupPump(NpgsqlDataSource dataSource, IOptions<UsageRollupOptions> options, TimeProvider time,
    ILogger<UsageRollupPump> logger) : BackgroundService
{
    /// <summary>Pending rows per transaction: after an outage the backlog is folded in steps, never in one huge transaction.</summary>
    internal const int BatchSize = 20_000;

    private const long LockId = 0x4E52_5553_4147_4501; // "NRUSAGE" + 1

    private static readonly string[] Measures = ["requests", "input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens", "cost_micros"];

    // The pending rows' totals per group, and the same added to a rollup row that exists (both saturating, as the store's).
    private static readonly string MeasureList = string.Join(", ", Measures);
    private static readonly string Sums = string.Join(", ", Measures.Select(m => RequestLogStore.Saturated($"sum({m})")));
    private static readonly string Accumulate = string.Join(", ", Measures.Select(m => $"{m} = {RequestLogStore.Saturated($"u.{m}::numeric + excluded.{m}")}"));

    private static readonly string FoldSql = $"""
        WITH lock AS (SELECT pg_try_advisory_xact_lock({LockId}) AS held),
        moved AS (
            DELETE FROM usage_pending WHERE ctid IN (SELECT ctid FROM usage_pending WHERE (SELECT held FROM lock) LIMIT {BatchSize})
            RETURNING *
        ), daily AS (
            INSERT INTO usage_daily AS u (day, wallet_id, key_id, model, status, upstream_provider, {MeasureList})
            SELECT day, wallet_id, key_id, model, status, upstream_provider, {Sums}
            FROM moved GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
            ON CONFLICT ON CONSTRAINT usage_daily_group DO UPDATE SET {Accumulate}
        ), everyone AS (
            INSERT INTO usage_daily_all AS u (day, model, status, upstream_provider, {MeasureList})
            SELECT day, model, status, upstream_provider, {Sums}
            FROM moved GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
            ON CONFLICT ON CONSTRAINT usage_daily_all_group DO UPDATE SET {Accumulate}
        )
        SELECT count(*)::int FROM moved
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.UsageRollupInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                while (await FoldAsync(stoppingToken) == BatchSize)
                {
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFoldFailed(logger, ex);
            }
        }
    }

    /// <summary>Folds up to <see cref="BatchSize"/> pending rows; returns how many (0 when another replica holds the pump).</summary>
    internal async Task<int> FoldAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(FoldSql);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Folding pending usage into the rollups failed; retrying at the next interval")]
    private static partial void LogFoldFailed(ILogger logger, Exception exception);
}
