using MassTransit;
using NexRelay.Contracts.Messages;
using NexRelay.Logging.Logs;

namespace NexRelay.Logging.Ingestion;

/// <summary>Stores <see cref="RequestCompleted"/> events a batch at a time: one INSERT per batch, idempotent by request id.</summary>
public sealed partial class StoreRequestLogConsumer(RequestLogStore store, IngestionMetrics metrics, TimeProvider time,
    ILogger<StoreRequestLogConsumer> logger) : IConsumer<Batch<RequestCompleted>>
{
    public async Task Consume(ConsumeContext<Batch<RequestCompleted>> context)
    {
        var events = new List<RequestCompleted>(context.Message.Length);
        foreach (var message in context.Message)
        {
            // A message without a request id can never be stored; dropping it keeps it from failing its whole batch.
            if (string.IsNullOrEmpty(message.Message.RequestId)) metrics.Rejected(1);
            else events.Add(message.Message);
        }
        if (events.Count == 0) return;
        var inserted = await store.InsertAsync(events, context.CancellationToken);
        var oldest = events.Min(e => e.CreatedAt);
        metrics.Stored(inserted, events.Count, (time.GetUtcNow() - oldest).TotalSeconds);
        LogStored(logger, inserted, events.Count);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stored {Inserted} new request logs from a batch of {Count}")]
    private static partial void LogStored(ILogger logger, int inserted, int count);
}

/// <summary>Batches of up to 100 messages or 50 ms, two in flight; a failed batch is retried before it faults.</summary>
public sealed class StoreRequestLogConsumerDefinition : ConsumerDefinition<StoreRequestLogConsumer>
{
    /// <summary>Default queue; the registration sets the endpoint name (overridable by <c>Logging:IngestQueue</c>).</summary>
    public const string QueueName = "store-request-log";
    private const int BatchSize = 100;
    private const int BatchesInFlight = 2;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<StoreRequestLogConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // Prefetch must cover every batch in flight, or batches never fill.
        endpointConfigurator.PrefetchCount = BatchSize * BatchesInFlight;
        endpointConfigurator.UseMessageRetry(r => r.Exponential(10, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500)));
        consumerConfigurator.Options<BatchOptions>(o => o
            .SetMessageLimit(BatchSize)
            .SetTimeLimit(TimeSpan.FromMilliseconds(50))
            .SetConcurrencyLimit(BatchesInFlight));
    }
}
