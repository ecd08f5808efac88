using Microsoft.Extensions.Options;
using NexRelay.Logging.Logs;
using NexRelay.Logging.Responses;

namespace NexRelay.Logging.Retention;

/// <summary>
/// Deletes request logs and stored responses older than their retention periods, a batch at a time (each its own short statement), so the table is
/// never locked and ingestion and queries carry on during a purge.
/// </summary>
internal sealed partial class RetentionPurgeService(
    RequestLogStore store, StoredResponseStore responses, IOptions<RetentionOptions> options, TimeProvider time, ILogger<RetentionPurgeService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.PurgeInterval, time);
        do
        {
            try
            {
                var now = time.GetUtcNow();
                var cutoff = now.AddDays(-settings.RetentionDays);
                var total = await PurgeAsync(store.PurgeBatchAsync, cutoff, settings.PurgeBatchSize, stoppingToken);
                if (total > 0) LogPurged(logger, total, cutoff);
                var storedCutoff = now.AddDays(-settings.StoredResponseRetentionDays);
                var stored = await PurgeAsync(responses.PurgeBatchAsync, storedCutoff, settings.PurgeBatchSize, stoppingToken);
                if (stored > 0) LogPurgedResponses(logger, stored, storedCutoff);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPurgeFailed(logger, ex);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One purge: a batch at a time until a batch comes back short.</summary>
    private static async Task<long> PurgeAsync(Func<DateTimeOffset, int, CancellationToken, Task<int>> purgeBatch, DateTimeOffset cutoff,
        int batchSize, CancellationToken ct)
    {
        long total = 0;
        int deleted;
        do
        {
            deleted = await purgeBatch(cutoff, batchSize, ct);
            total += deleted;
        } while (deleted == batchSize);
        return total;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} stored responses older than {Cutoff}")]
    private static partial void LogPurgedResponses(ILogger logger, long count, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} request logs older than {Cutoff}")]
    private static partial void LogPurged(ILogger logger, long count, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request log purge failed; retrying at the next interval")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
