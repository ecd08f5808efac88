using MassTransit;
using NexRelay.Billing.Notifications;
using Microsoft.Extensions.Options;
using NexRelay.Billing.Telemetry;
using NexRelay.Contracts.Messages;
using NexRelay.ServiceDefaults.Messaging;
using NexRelay.ServiceDefaults.Messaging.DeadLetters;

namespace NexRelay.Billing.Settlement;

/// <summary>
/// Settles requests from their <see cref="RequestCompleted"/> events a batch at a time, in one database transaction per batch:
/// a request held in memory against a credit lease (<see cref="RequestCompleted.LeaseId"/>) is captured from the lease, any
/// other from its own hold (capture the true cost, at most the hold, release the rest). A batch is either single messages
/// collected by MassTransit (older edges) or one <see cref="RequestsCompleted"/> envelope (the edge's own batch); both settle
/// the same way. Exactly once per request id however often, and in whatever batches, the event is delivered: the database
/// records each settled request id in the same transaction as its money movement, so a redelivered message (or a whole
/// retried batch, or an envelope overlapping single messages) changes nothing twice.
/// <para>
/// Poison events are settled around, not retried: each event is read on its own (one that cannot be read is dead-lettered),
/// and a batch the database refuses for an event's data is bisected until that event stands alone (<see cref="PoisonIsolation"/>);
/// it is dead-lettered (the <c>dead_letters</c> table, listed and re-queued through the admin API), the rest settles.
/// </para>
/// </summary>
public sealed partial class SettleRequestConsumer(SettlementStore store, DeadLetterStore deadLetters, BillingMetrics metrics,
    NotificationSignal notifications, TimeProvider time, ILogger<SettleRequestConsumer> logger) : IConsumer<Batch<RequestCompletedJson>>, IConsumer<RequestsCompletedJson>
{
    public Task Consume(ConsumeContext<Batch<RequestCompletedJson>> context) =>
        SettleAsync(RequestEvents.Read(context.Message.Select(delivery => delivery.Message.Json)), context.CancellationToken);

    public Task Consume(ConsumeContext<RequestsCompletedJson> context) =>
        SettleAsync(RequestEvents.Read(context.Message.Requests ?? []), context.CancellationToken);

    private async Task SettleAsync(ReadEvents read, CancellationToken cancellationToken)
    {
        var letters = new List<DeadLetter>(read.Malformed);
        var requests = new List<RequestEvent>(read.Events.Count);
        foreach (var e in read.Events)
        {
            if (!NeedsSettlement(e.Event)) continue;
            if (RequestEvents.RefuseNul(e, ("requestId", e.Event.RequestId), ("leaseId", e.Event.LeaseId)) is { } refused) letters.Add(refused);
            else requests.Add(e);
        }
        // One order for every batch, so overlapping batches record their request ids in the same order.
        requests.Sort((a, b) => SettlementOrder(a.Event, b.Event));
        var poisoned = await PoisonIsolation.ProcessAsync([.. requests], SettleBatchAsync, cancellationToken);

        letters.AddRange(poisoned.Select(p => DeadLetter.Failed(p.Item, p.Error)));
        await deadLetters.AddAsync(letters, cancellationToken);
        foreach (var letter in letters) metrics.DeadLettered(letter.Kind);
    }

    /// <summary>
    /// One <c>settle_requests</c> call (one transaction) for the batch, in its order. A request id twice in one batch is
    /// settled by one of its items; the database reports the second as a duplicate (same transaction, same processed-message key).
    /// </summary>
    private async Task SettleBatchAsync(IReadOnlyList<RequestEvent> batch, CancellationToken cancellationToken)
    {
        var items = new SettlementItem[batch.Count];
        for (var i = 0; i < items.Length; i++)
        {
            var message = batch[i].Event;
            items[i] = new SettlementItem(message.RequestId, string.IsNullOrEmpty(message.LeaseId) ? null : message.LeaseId, message.CostMicros,
                message.UsageEstimated);
        }

        using var spans = RequestEventSpans.Start("settle-request", batch.Select(e => e.Event));
        SettlementOutcome[] outcomes;
        try
        {
            outcomes = await store.SettleBatchAsync(items, cancellationToken);
        }
        catch (Exception ex)
        {
            spans.Failed(ex);
            throw;
        }
        metrics.SettlementBatch(items.Length);
        notifications.Nudge(); // balances changed: low-balance thresholds are checked now rather than at the next poll
        for (var i = 0; i < items.Length; i++) Report(batch[i].Event, items[i].LeaseId, outcomes[i]);
    }

    /// <summary>A request held against a lease is settled whatever its cost (the lease is charged); any other only when it had a hold.</summary>
    internal static bool NeedsSettlement(RequestCompleted message) =>
        !string.IsNullOrEmpty(message.RequestId) && (!string.IsNullOrEmpty(message.LeaseId) || message.HeldMicros > 0);

    /// <summary>Wallet, then key, then request id.</summary>
    internal static int SettlementOrder(RequestCompleted a, RequestCompleted b)
    {
        var byWallet = Nullable.Compare(a.WalletId, b.WalletId);
        if (byWallet != 0) return byWallet;
        var byKey = Nullable.Compare(a.KeyId, b.KeyId);
        return byKey != 0 ? byKey : string.CompareOrdinal(a.RequestId, b.RequestId);
    }

    private void Report(RequestCompleted message, string? leaseId, SettlementOutcome outcome)
    {
        var leased = leaseId is not null;
        metrics.Settled(outcome.Outcome, outcome.CapturedMicros, outcome.Clamped, leased);
        // Lag from the request's end (its start plus its latency) to now, once: a duplicate was captured earlier.
        if (outcome.Outcome is "settled" or "late") metrics.SettlementLag(time.GetUtcNow() - message.CreatedAt.AddMilliseconds(message.LatencyMs));
        switch (outcome.Outcome)
        {
            case "settled" when outcome.Clamped || message.UsageClamped:
                LogClamped(logger, message.RequestId, message.CostMicros, leased ? message.HeldMicros : outcome.HeldMicros);
                break;
            case "late" when leased:
                LogLeaseLate(logger, message.RequestId, leaseId!, message.CostMicros, outcome.CapturedMicros);
                break;
            case "late":
                LogLate(logger, message.RequestId, message.CostMicros, outcome.CapturedMicros);
                break;
            case "unknown" when leased:
                LogUnknownLease(logger, message.RequestId, leaseId!);
                break;
            case "unknown":
                LogUnknown(logger, message.RequestId);
                break;
        }
        if (!leased && outcome.Outcome is "settled" or "late" && outcome.HeldMicros != message.HeldMicros)
            LogHeldMismatch(logger, message.RequestId, message.HeldMicros, outcome.HeldMicros);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settlement of {RequestId} clamped: cost {CostMicros} exceeded the hold {HeldMicros}")]
    private static partial void LogClamped(ILogger logger, string requestId, long costMicros, long heldMicros);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Late settlement of {RequestId} after its hold expired: cost {CostMicros}, collected {CapturedMicros}")]
    private static partial void LogLate(ILogger logger, string requestId, long costMicros, long capturedMicros);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settlement of {RequestId} went beyond the reserve of lease {LeaseId} (expired or overspent): cost {CostMicros}, collected {CapturedMicros}")]
    private static partial void LogLeaseLate(ILogger logger, string requestId, string leaseId, long costMicros, long capturedMicros);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settlement for {RequestId} has no hold; ignored")]
    private static partial void LogUnknown(ILogger logger, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settlement for {RequestId} names lease {LeaseId}, which billing does not know; ignored")]
    private static partial void LogUnknownLease(ILogger logger, string requestId, string leaseId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settlement for {RequestId} says {MessageHeld} held, billing holds {Held}; billing's figure wins")]
    private static partial void LogHeldMismatch(ILogger logger, string requestId, long messageHeld, long held);
}

/// <summary>
/// Queue <c>settle-request</c> (configurable for tests), bound to both message types' exchanges by <c>ConfigureEndpoints</c>;
/// single messages batched up to <c>Billing:SettlementBatchSize</c> or <c>Billing:SettlementBatchMilliseconds</c>;
/// <c>Billing:SettlementConcurrency</c> batches and as many envelopes in flight. A batch that fails transiently (the database
/// down or restarting, a deadlock, a serialization failure) is retried whole until it settles; poison events are the
/// consumer's to dead-letter; a message that cannot be read at all goes to the <c>_error</c> queue (see
/// <see cref="DeadLetterExtensions.UseDeadLetters"/>).
/// </summary>
public sealed class SettleRequestConsumerDefinition : ConsumerDefinition<SettleRequestConsumer>
{
    private readonly BillingOptions _options;
    private readonly ConsumerQueue _queue;
    private readonly BillingMetrics _metrics;

    public SettleRequestConsumerDefinition(IOptions<BillingOptions> options, ConsumerQueue queue, BillingMetrics metrics)
    {
        _options = options.Value;
        _queue = queue;
        _metrics = metrics;
        EndpointName = _options.SettlementQueue;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<SettleRequestConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // Prefetch and the endpoint's message limit must cover every batch in flight, or batches never fill.
        var capacity = _options.SettlementBatchSize * _options.SettlementConcurrency;
        endpointConfigurator.PrefetchCount = capacity;
        endpointConfigurator.ConcurrentMessageLimit = capacity;
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit && _options.SettlementQueueTemporary)
        {
            rabbit.AutoDelete = true;
            rabbit.Durable = false;
        }
        // A retried batch's messages are batched again; settling is idempotent, so whatever part of it went through changes nothing.
        endpointConfigurator.UseDeadLetters(_queue, _metrics.DeadLettered);
        consumerConfigurator.Options<BatchOptions>(o => o
            .SetMessageLimit(_options.SettlementBatchSize)
            .SetTimeLimit(TimeSpan.FromMilliseconds(_options.SettlementBatchMilliseconds))
            .SetConcurrencyLimit(_options.SettlementConcurrency));
        // An envelope is already a batch: without its own limit the endpoint's (sized for collecting single messages) would
        // let hundreds of envelope transactions run at once.
        consumerConfigurator.Message<RequestsCompletedJson>(m => m.UseConcurrentMessageLimit(_options.SettlementConcurrency));
    }
}
