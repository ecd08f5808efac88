using System.Diagnostics.Metrics;

namespace NexRelay.Edge.Events;

/// <summary>The edge's event-publishing counters on the shared NexRelay meter, and the spool's size.</summary>
internal sealed class EventMetrics
{
    private readonly Counter<long> _published;
    private readonly Counter<long> _spooled;
    private readonly Counter<long> _failures;

    public EventMetrics(IMeterFactory meterFactory, EventSpool spool)
    {
        var meter = meterFactory.Create(NexRelayTelemetry.MeterName);
        _published = meter.CreateCounter<long>("nexrelay.edge.events.published", description: "RequestCompleted events confirmed by RabbitMQ, by path (direct, replay)");
        _spooled = meter.CreateCounter<long>("nexrelay.edge.events.spooled", description: "Events written to the local spool because RabbitMQ did not confirm them");
        _failures = meter.CreateCounter<long>("nexrelay.edge.events.publish_failures", description: "Publishes that failed or timed out");
        meter.CreateObservableGauge("nexrelay.edge.events.spool_pending", () => spool.PendingEvents, description: "Events waiting in the local spool");
        meter.CreateObservableGauge("nexrelay.edge.events.spool_bytes", () => spool.PendingBytes, unit: "By",
            description: "Bytes of the local spool on disk; at Edge:SpoolMaxBytes paid requests are refused (alert well before)");
    }

    public void Published(int count, bool replay) => _published.Add(count, new KeyValuePair<string, object?>("path", replay ? "replay" : "direct"));

    public void Spooled(int count) => _spooled.Add(count);

    public void PublishFailed() => _failures.Add(1);
}
