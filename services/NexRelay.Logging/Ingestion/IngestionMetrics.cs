using System.Diagnostics.Metrics;

namespace NexRelay.Logging.Ingestion;

/// <summary>Logging's ingestion counters on the shared NexRelay meter.</summary>
public sealed class IngestionMetrics
{
    private readonly Counter<long> _stored;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _deadLettered;
    private readonly Histogram<double> _lag;

    // Seconds, from tens of milliseconds (a batch that waited for nothing) to an hour (a backlog after an outage), as billing's
    // settlement lag: the default buckets (0, 5, 10, 25 … ms-scale numbers read as seconds) would put every healthy sample in one.
    private static readonly double[] LagBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

    public IngestionMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(NexRelayTelemetry.MeterName);
        _stored = meter.CreateCounter<long>("nexrelay.logging.rows.stored", description: "Request logs stored");
        _duplicates = meter.CreateCounter<long>("nexrelay.logging.rows.duplicates", description: "Redelivered events skipped (request id already stored)");
        _rejected = meter.CreateCounter<long>("nexrelay.logging.events.rejected", description: "Events without a request id, dropped");
        _deadLettered = meter.CreateCounter<long>("nexrelay.logging.events.dead_lettered",
            description: "Events dead-lettered, by kind (malformed, refused, failed: listed by the admin API; unreadable, faulted: in the queue's _error queue)");
        _lag = meter.CreateHistogram("nexrelay.logging.ingestion.lag", unit: "s", description: "Time from the request's end at the edge to its row being stored",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LagBuckets });
    }

    /// <param name="lagSeconds">For each event of the batch, the time from its request's end to now.</param>
    public void Stored(int inserted, int received, IEnumerable<double> lagSeconds)
    {
        _stored.Add(inserted);
        if (received > inserted) _duplicates.Add(received - inserted);
        foreach (var lag in lagSeconds) _lag.Record(Math.Max(0, lag));
    }

    public void Rejected(int count) => _rejected.Add(count);

    public void DeadLettered(string kind) => _deadLettered.Add(1, new KeyValuePair<string, object?>("kind", kind));
}
