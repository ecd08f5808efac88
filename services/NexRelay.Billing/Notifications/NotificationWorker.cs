using Microsoft.Extensions.Options;
using NexRelay.Billing.Holds;

namespace NexRelay.Billing.Notifications;

/// <summary>
/// Billing's notification worker: checks every wallet's threshold against its balance and its keys' budgets against their
/// thresholds (writing fired events to the outbox, <see cref="NotificationStore.EvaluateBalanceAsync"/> and
/// <see cref="NotificationStore.EvaluateBudgetAsync"/>), then sends the outbox's due events and records each
/// attempt. It lives in billing because billing owns the balances and the outbox sits in billingdb beside them: a separate
/// service would have to read another service's database or be fed by one more message stream, for a few events an hour.
/// It runs beside settlement but never on its path (its own HTTP client, its own short transactions). Several replicas
/// may run it: evaluation locks each wallet's settings row, and deliveries are claimed with SKIP LOCKED.
/// </summary>
public sealed partial class NotificationWorker(NotificationStore store, WebhookSender sender, NotificationSignal signal,
    IOptionsMonitor<NotificationOptions> options, TimeProvider clock, ILogger<NotificationWorker> logger) : BackgroundService
{
    private const int ClaimBatch = 20;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var settings = options.CurrentValue;
            try
            {
                await EvaluateAsync(settings, stoppingToken);
                await DeliverDueAsync(settings, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogPassFailed(logger, ex);
            }
            try
            {
                await signal.WaitAsync(TimeSpan.FromMilliseconds(settings.PollMilliseconds), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    internal async Task EvaluateAsync(NotificationOptions settings, CancellationToken cancellationToken)
    {
        foreach (var walletId in await store.WalletsToEvaluateAsync(cancellationToken))
        {
            if (await store.EvaluateBalanceAsync(walletId, TimeSpan.FromSeconds(settings.FlapWindowSeconds), cancellationToken))
                LogFired(logger, walletId);
        }
        foreach (var bucket in await store.BudgetsToEvaluateAsync(BudgetPeriods.CurrentKeys(clock.GetUtcNow()), cancellationToken))
        {
            if (await store.EvaluateBudgetAsync(bucket, TimeSpan.FromSeconds(settings.FlapWindowSeconds), cancellationToken) > 0)
                LogBudgetFired(logger, bucket.KeyId, bucket.PeriodKey, bucket.WalletId);
        }
    }

    internal async Task DeliverDueAsync(NotificationOptions settings, CancellationToken cancellationToken)
    {
        // An attempt that outlives its claim (a stalled process) may be retried by another worker: the claim is longer
        // than one attempt can take.
        var claim = TimeSpan.FromSeconds(settings.AttemptTimeoutSeconds * 3 + 5);
        while (true)
        {
            var due = await store.ClaimDueAsync(ClaimBatch, claim, cancellationToken);
            if (due.Count == 0) return;
            await Task.WhenAll(due.Select(d => DeliverAsync(d, settings, cancellationToken)));
            if (due.Count < ClaimBatch) return;
        }
    }

    private async Task DeliverAsync(DueDelivery delivery, NotificationOptions settings, CancellationToken cancellationToken)
    {
        var attempt = delivery.Attempts + 1;
        if (delivery.Url is null || delivery.Secret is null)
        {
            await store.RecordAttemptAsync(delivery.Id, attempt, null, "Given up: the wallet's notification settings were removed.", "failed", null, cancellationToken);
            return;
        }
        var result = await sender.SendAsync(delivery.Url, delivery.Secret, delivery.Id, delivery.EventType, delivery.Body, cancellationToken);
        if (result.Delivered)
        {
            await store.RecordAttemptAsync(delivery.Id, attempt, result.StatusCode, null, "delivered", null, cancellationToken);
            return;
        }
        if (attempt >= settings.MaxAttempts)
        {
            LogGivenUp(logger, delivery.Id, attempt, result.Error);
            await store.RecordAttemptAsync(delivery.Id, attempt, result.StatusCode, result.Error, "failed", null, cancellationToken);
            return;
        }
        var delay = ThresholdRule.RetryDelay(attempt, TimeSpan.FromMilliseconds(settings.FirstRetryMilliseconds), TimeSpan.FromSeconds(settings.MaxRetrySeconds));
        await store.RecordAttemptAsync(delivery.Id, attempt, result.StatusCode, result.Error, "pending", clock.GetUtcNow() + delay, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Low-balance event written for wallet {WalletId}")]
    private static partial void LogFired(ILogger logger, Guid walletId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Budget event written for key {KeyId} ({PeriodKey}) of wallet {WalletId}")]
    private static partial void LogBudgetFired(ILogger logger, Guid keyId, string periodKey, Guid walletId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {DeliveryId} given up after {Attempts} attempts: {Error}")]
    private static partial void LogGivenUp(ILogger logger, Guid deliveryId, int attempts, string? error);
}
