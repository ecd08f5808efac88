using Microsoft.Extensions.Options;
using NexRelay.Billing.Settlement;
using NexRelay.Billing.Telemetry;

namespace NexRelay.Billing.Holds;

/// <summary>
/// Releases orphaned holds (their edge died before settling) once they are older than <c>Billing:HoldTimeoutSeconds</c>.
/// Each hold is released in its own short transaction so the sweep never holds many wallet locks at once; replicas may sweep
/// concurrently, the conditional state change makes each release happen once.
/// </summary>
public sealed partial class HoldExpiryService(SettlementStore store, IOptionsMonitor<BillingOptions> options, BillingMetrics metrics,
    TimeProvider clock, ILogger<HoldExpiryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var settings = options.CurrentValue;
            try
            {
                await SweepAsync(settings, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(logger, ex);
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(settings.ExpirySweepSeconds), clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    internal async Task<int> SweepAsync(BillingOptions settings, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var ids = await store.FindExpiredAsync(settings.HoldTimeoutSeconds, settings.ExpiryBatchSize, cancellationToken);
            var released = 0;
            foreach (var id in ids)
            {
                if (await store.ExpireAsync(id, cancellationToken)) released++;
            }
            if (released > 0)
            {
                metrics.HoldsExpired(released);
                LogExpired(logger, released);
            }
            total += released;
            if (ids.Count < settings.ExpiryBatchSize) return total;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Released {Count} orphaned holds past their timeout")]
    private static partial void LogExpired(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Orphaned-hold sweep failed; retrying next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
