using Microsoft.Extensions.Options;
using NexRelay.Billing.Leases;
using NexRelay.Billing.Settlement;
using NexRelay.Billing.Telemetry;

namespace NexRelay.Billing.Holds;

/// <summary>
/// Releases orphaned holds (their edge died before settling) once neither placed nor renewed within
/// <c>Billing:HoldTimeoutSeconds</c> (an edge renews the holds of requests still running), and
/// orphaned credit leases: open ones whose reserve window ended that long ago (their edge died), closed ones whose
/// settlements are that overdue. Each hold or lease is released in its own short transaction so the sweep never holds many
/// wallet locks at once; replicas may sweep concurrently, the conditional state change makes each release happen once.
/// Nothing is released in the first <c>Billing:ExpiryStartGraceSeconds</c> after start (renewals missed while billing was
/// down land first).
/// </summary>
public sealed partial class HoldExpiryService(SettlementStore store, LeaseStore leases, IOptionsMonitor<BillingOptions> options,
    BillingMetrics metrics, TimeProvider clock, ILogger<HoldExpiryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(options.CurrentValue.ExpiryStartGraceSeconds), clock, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            var settings = options.CurrentValue;
            try
            {
                await SweepAsync(settings, stoppingToken);
                await SweepLeasesAsync(settings, stoppingToken);
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
                if (await store.ExpireAsync(id, settings.HoldTimeoutSeconds, cancellationToken)) released++;
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

    internal async Task<int> SweepLeasesAsync(BillingOptions settings, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var ids = await leases.FindExpiredAsync(settings.HoldTimeoutSeconds, settings.ExpiryBatchSize, cancellationToken);
            var expired = 0;
            foreach (var id in ids)
            {
                if (await leases.ExpireAsync(id, settings.HoldTimeoutSeconds, cancellationToken)) expired++;
            }
            if (expired > 0)
            {
                metrics.LeasesExpired(expired);
                LogLeasesExpired(logger, expired);
            }
            total += expired;
            if (ids.Count < settings.ExpiryBatchSize) return total;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Released {Count} orphaned credit leases past their reserve window and the hold timeout")]
    private static partial void LogLeasesExpired(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Released {Count} orphaned holds past their timeout")]
    private static partial void LogExpired(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Orphaned-hold sweep failed; retrying next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
