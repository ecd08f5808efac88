using MassTransit;
using NexRelay.Contracts.Messages;
using NexRelay.Logging.Logs;
using NexRelay.ServiceDefaults.Messaging;
using NexRelay.ServiceDefaults.Messaging.DeadLetters;

namespace NexRelay.Logging.Ingestion;

/// <summary>
/// Stores <see cref="RequestCompleted"/> events a batch at a time: one INSERT per batch, idempotent by request id. A batch is
/// either single messages collected by MassTransit (older edges) or one <see cref="RequestsCompleted"/> envelope (the edge's
/// own batch); both are stored the same way. Poison events are stored around, not retried: each event is read on its own (one
/// that cannot be read is dead-lettered), and a batch the database refuses for an event's data is bisected until that event
/// stands alone (<see cref="PoisonIsolation"/>); it is dead-lettered (the <c>dead_letters</c> table, listed and re-queued
/// through the admin API), the rest is stored. (A NUL in a text is no poison here: the store writes it as U+FFFD.)
/// </summary>
public sealed partial class StoreRequestLogConsumer(RequestLogStore store, DeadLetterStore deadLetters, IngestionMetrics metrics,
    TimeProvider time, ILogger<StoreRequestLogConsumer> logger) : IConsumer<Batch<RequestCompletedJson>>, IConsumer<RequestsCompletedJson>
{
    public Task Consume(ConsumeContext<Batch<RequestCompletedJson>> context) =>
        StoreAsync(RequestEvents.Read(context.Message.Select(delivery => delivery.Message.Json)), context.CancellationToken);

    public Task Consume(ConsumeContext<RequestsCompletedJson> context) =>
        StoreAsync(RequestEvents.Read(context.Message.Requests ?? []), context.CancellationToken);

    private async Task StoreAsync(ReadEvents read, CancellationToken cancellationToken)
    {
        var letters = new List<DeadLetter>(read.Malformed);
        var events = new List<RequestEvent>(read.Events.Count);
        // An event without a request id can never be stored; dropping it keeps it from failing its whole batch.
        var rejected = read.Empty;
        foreach (var e in read.Events)
        {
            if (string.IsNullOrEmpty(e.Event.RequestId)) rejected++;
            else events.Add(e);
        }
        if (rejected > 0) metrics.Rejected(rejected);

        var poisoned = await PoisonIsolation.ProcessAsync([.. events], InsertAsync, cancellationToken);
        letters.AddRange(poisoned.Select(p => DeadLetter.Failed(p.Item, p.Error)));
        await deadLetters.AddAsync(letters, cancellationToken);
        foreach (var letter in letters) metrics.DeadLettered(letter.Kind);
    }

    /// <summary>A request id twice in one batch is stored once (the store keeps the first of each id).</summary>
    private async Task InsertAsync(IReadOnlyList<RequestEvent> batch, CancellationToken cancellationToken)
    {
        var events = batch.Select(e => e.Event).ToList();
        using var spans = RequestEventSpans.Start("store-request-log", events);
        int inserted;
        try
        {
            inserted = await store.InsertAsync(events, cancellationToken);
        }
        catch (Exception ex)
        {
            spans.Failed(ex);
            throw;
        }
        var now = time.GetUtcNow();
        // From the request's end (its start plus its latency), as billing's settlement lag: a long stream is not a slow log.
        metrics.Stored(inserted, events.Count, events.Select(e => (now - e.CreatedAt).TotalSeconds - e.LatencyMs / 1000));
        LogStored(logger, inserted, events.Count);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stored {Inserted} new request logs from a batch of {Count}")]
    private static partial void LogStored(ILogger logger, int inserted, int count);
}

/// <summary>
/// Single messages batched up to 100 or 50 ms, two batches and two envelopes in flight. A batch that fails transiently (the
/// database down or restarting) is retried whole until it is stored; poison events are the consumer's to dead-letter; a
/// message that cannot be read at all goes to the <c>_error</c> queue (see <see cref="DeadLetterExtensions.UseDeadLetters"/>).
/// <c>ConfigureEndpoints</c> binds the queue to both message types' exchanges.
/// </summary>
public sealed class StoreRequestLogConsumerDefinition(ConsumerQueue queue, IngestionMetrics metrics) : ConsumerDefinition<StoreRequestLogConsumer>
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
        endpointConfigurator.UseDeadLetters(queue, metrics.DeadLettered);
        consumerConfigurator.Options<BatchOptions>(o => o
            .SetMessageLimit(BatchSize)
            .SetTimeLimit(TimeSpan.FromMilliseconds(50))
            .SetConcurrencyLimit(BatchesInFlight));
        // An envelope is already a batch: without its own limit the prefetch (sized for collecting single messages) would
        // let up to 200 envelope INSERTs run at once.
        consumerConfigurator.Message<RequestsCompletedJson>(m => m.UseConcurrentMessageLimit(BatchesInFlight));
    }
}
