using MassTransit;
using NexRelay.Contracts.Messages;
using NexRelay.Logging.Logs;

namespace NexRelay.Logging.Ingestion;

/// <summary>
/// Stores <see cref="RequestCompleted"/> events a batch at a time: one INSERT per batch, idempotent by request id. A batch is
/// either single messages collected by MassTransit (older edges) or one <see cref="RequestsCompleted"/> envelope (the edge's
/// own batch); both are stored the same way.
/// </summary>
public sealed partial class StoreRequestLogConsumer(RequestLogStore store, IngestionMetrics metrics, TimeProvider time,
    ILogger<StoreRequestLogConsumer> logger) : IConsumer<Batch<RequestCompleted>>, IConsumer<RequestsCompleted>
{
    public Task Consume(ConsumeContext<Batch<RequestCompleted>> context)
    {
        var events = new List<RequestCompleted>(context.Message.Length);
        foreach (var message in context.Message) Collect(events, message.Message);
        return StoreAsync(events, context.CancellationToken);
    }

    public Task Consume(ConsumeContext<RequestsCompleted> context)
    {
        var requests = context.Message.Requests ?? [];
        var events = new List<RequestCompleted>(requests.Count);
        foreach (var request in requests) Collect(events, request);
        return StoreAsync(events, context.CancellationToken);
    }

    private void Collect(List<RequestCompleted> events, RequestCompleted? message)
    {
        // An event without a request id can never be stored; dropping it keeps it from failing its whole batch.
        if (string.IsNullOrEmpty(message?.RequestId)) metrics.Rejected(1);
        else events.Add(message);
    }

    /// <summary>A request id twice in one batch is stored once (the store keeps the first of each id).</summary>
    private async Task StoreAsync(List<RequestCompleted> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0) return;
        var inserted = await store.InsertAsync(events, cancellationToken);
        var oldest = events.Min(e => e.CreatedAt);
        metrics.Stored(inserted, events.Count, (time.GetUtcNow() - oldest).TotalSeconds);
        LogStored(logger, inserted, events.Count);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stored {Inserted} new request logs from a batch of {Count}")]
    private static partial void LogStored(ILogger logger, int inserted, int count);
}

/// <summary>
/// Single messages batched up to 100 or 50 ms, two batches and two envelopes in flight; a failed batch or envelope is retried
/// before it faults. <c>ConfigureEndpoints</c> binds the queue to both message types' exchanges.
/// </summary>
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
        // An envelope is already a batch: without its own limit the prefetch (sized for collecting single messages) would
        // let up to 200 envelope INSERTs run at once.
        consumerConfigurator.Message<RequestsCompleted>(m => m.UseConcurrentMessageLimit(BatchesInFlight));
    }
}
