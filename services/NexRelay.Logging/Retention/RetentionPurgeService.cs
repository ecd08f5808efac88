using Microsoft.Extensions.Options;
using NexRelay.Logging.Logs;

namespace NexRelay.Logging.Retention;

/// <summary>
/// Deletes rows older than the retention period, a batch at a time (each its own short statement), so the table is
/// never locked and ingestion and queries carry on during a purge.
/// </summary>
internal sealed partial class RetentionPurgeService(
    RequestLogStore store, IOptions<RetentionOptions> options, TimeProvider time, ILogger<RetentionPurgeService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.PurgeInterval, time);
        do
        {
            try
            {
                var cutoff = time.GetUtcNow().AddDays(-settings.RetentionDays);
                long total = 0;
                int deleted;
                do
                {
                    deleted = await store.PurgeBatchAsync(cutoff, settings.PurgeBatchSize, stoppingToken);
                    total += deleted;
                } while (deleted == settings.PurgeBatchSize);
                if (total > 0) LogPurged(logger, total, cutoff);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPurgeFailed(logger, ex);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} request logs older than {Cutoff}")]
    private static partial void LogPurged(ILogger logger, long count, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request log purge failed; retrying at the next interval")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
