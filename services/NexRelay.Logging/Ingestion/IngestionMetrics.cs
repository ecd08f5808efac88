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

    public IngestionMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(NexRelayTelemetry.MeterName);
        _stored = meter.CreateCounter<long>("nexrelay.logging.rows.stored", description: "Request logs stored");
        _duplicates = meter.CreateCounter<long>("nexrelay.logging.rows.duplicates", description: "Redelivered events skipped (request id already stored)");
        _rejected = meter.CreateCounter<long>("nexrelay.logging.events.rejected", description: "Events without a request id, dropped");
        _deadLettered = meter.CreateCounter<long>("nexrelay.logging.events.dead_lettered",
            description: "Events dead-lettered, by kind (malformed, refused, failed: listed by the admin API; unreadable, faulted: in the queue's _error queue)");
        _lag = meter.CreateHistogram<double>("nexrelay.logging.ingestion.lag", unit: "s", description: "Time from the request's end to its row being stored");
    }

    public void Stored(int inserted, int received, double oldestLagSeconds)
    {
        _stored.Add(inserted);
        if (received > inserted) _duplicates.Add(received - inserted);
        _lag.Record(Math.Max(0, oldestLagSeconds));
    }

    public void Rejected(int count) => _rejected.Add(count);

    public void DeadLettered(string kind) => _deadLettered.Add(1, new KeyValuePair<string, object?>("kind", kind));
}
