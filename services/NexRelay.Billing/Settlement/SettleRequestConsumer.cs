using MassTransit;
using Microsoft.Extensions.Options;
using NexRelay.Billing.Telemetry;
using NexRelay.Contracts.Messages;
using Npgsql;

namespace NexRelay.Billing.Settlement;

/// <summary>
/// Settles a request's hold from its <see cref="RequestCompleted"/>: captures the true cost (at most the hold), releases the
/// rest. Exactly once per request id however often the message is delivered: the database function records the message and
/// moves the hold out of <c>held</c> with conditional writes in one transaction.
/// </summary>
public sealed partial class SettleRequestConsumer(SettlementStore store, BillingMetrics metrics, ILogger<SettleRequestConsumer> logger)
    : IConsumer<RequestCompleted>
{
    public async Task Consume(ConsumeContext<RequestCompleted> context)
    {
        var message = context.Message;
        if (message.HeldMicros <= 0 || string.IsNullOrEmpty(message.RequestId)) return;

        var outcome = await store.SettleAsync(message.RequestId, message.CostMicros, context.CancellationToken);
        metrics.Settled(outcome.Outcome, outcome.CapturedMicros, outcome.Clamped);
        switch (outcome.Outcome)
        {
            case "settled" when outcome.Clamped || message.UsageClamped:
                LogClamped(logger, message.RequestId, message.CostMicros, outcome.HeldMicros);
                break;
            case "late":
                LogLate(logger, message.RequestId, message.CostMicros, outcome.CapturedMicros);
                break;
            case "unknown":
                LogUnknown(logger, message.RequestId);
                break;
        }
        if (outcome.Outcome is "settled" or "late" && outcome.HeldMicros != message.HeldMicros)
            LogHeldMismatch(logger, message.RequestId, message.HeldMicros, outcome.HeldMicros);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settlement of {RequestId} clamped: cost {CostMicros} exceeded the hold {HeldMicros}")]
    private static partial void LogClamped(ILogger logger, string requestId, long costMicros, long heldMicros);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Late settlement of {RequestId} after its hold expired: cost {CostMicros}, collected {CapturedMicros}")]
    private static partial void LogLate(ILogger logger, string requestId, long costMicros, long capturedMicros);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settlement for {RequestId} has no hold; ignored")]
    private static partial void LogUnknown(ILogger logger, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settlement for {RequestId} says {MessageHeld} held, billing holds {Held}; billing's figure wins")]
    private static partial void LogHeldMismatch(ILogger logger, string requestId, long messageHeld, long held);
}

/// <summary>Queue <c>settle-request</c> (configurable for tests), retries for transient database errors, bounded concurrency.</summary>
public sealed class SettleRequestConsumerDefinition : ConsumerDefinition<SettleRequestConsumer>
{
    private readonly BillingOptions _options;

    public SettleRequestConsumerDefinition(IOptions<BillingOptions> options)
    {
        _options = options.Value;
        EndpointName = _options.SettlementQueue;
        ConcurrentMessageLimit = _options.SettlementConcurrency;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<SettleRequestConsumer> consumerConfigurator, IRegistrationContext context)
    {
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.PrefetchCount = Math.Max(_options.SettlementConcurrency * 2, 16);
            if (_options.SettlementQueueTemporary)
            {
                rabbit.AutoDelete = true;
                rabbit.Durable = false;
            }
        }
        // Retries ride out a database blip or restart (~50 s in all). After that the message goes to the _error queue, from
        // where it can be moved back: settling is idempotent, so a replay is safe.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Handle<NpgsqlException>();
            r.Handle<TimeoutException>();
            r.Intervals(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5),
                TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30));
        });
    }
}
