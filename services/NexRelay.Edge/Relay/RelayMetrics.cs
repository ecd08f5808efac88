using System.Diagnostics.Metrics;

namespace NexRelay.Edge.Relay;

/// <summary>
/// What limits an edge replica: the relayed requests it holds open (streams included), on the shared NexRelay meter. The
/// Kubernetes autoscaler scales the edge on it (<c>nexrelay_edge_requests_in_flight</c> in Prometheus; deploy/kubernetes).
/// </summary>
internal sealed class RelayMetrics
{
    private readonly UpDownCounter<long> _inFlight;

    public RelayMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(NexRelayTelemetry.MeterName);
        _inFlight = meter.CreateUpDownCounter<long>("nexrelay.edge.requests.in_flight", unit: "{request}",
            description: "Relayed requests this edge is answering now, streams included");
    }

    public void Started() => _inFlight.Add(1);

    public void Ended() => _inFlight.Add(-1);
}
