using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace NexRelay.Edge.Relay;

/// <summary>
/// Each upstream's health as the relay sees it, on the shared NexRelay meter: failed attempts by kind, retries, failovers to the
/// next upstream and the circuit breaker's state. Per provider (a configured name, so bounded), recorded where they happen:
/// <see cref="UpstreamRelay"/>'s attempt loop and <see cref="UpstreamClient"/>'s breaker.
/// </summary>
public sealed class UpstreamMetrics
{
    private const string ProviderTag = "gen_ai.provider.name";

    /// <summary>The breaker state as a number a dashboard can plot and alert on: 0 closed, 1 half-open, 2 open.</summary>
    public enum BreakerState { Closed = 0, HalfOpen = 1, Open = 2 }

    private readonly Counter<long> _failures;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _failovers;
    private readonly ConcurrentDictionary<string, BreakerState> _breakers = new(StringComparer.Ordinal);

    public UpstreamMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(NexRelayTelemetry.MeterName);
        _failures = meter.CreateCounter<long>("nexrelay.edge.upstream.failures", unit: "{attempt}",
            description: "Upstream attempts that failed, by provider and kind (timeout, connection, breaker_open, server_error)");
        _retries = meter.CreateCounter<long>("nexrelay.edge.upstream.retries", unit: "{attempt}",
            description: "Attempts sent again to the same upstream after a failure");
        _failovers = meter.CreateCounter<long>("nexrelay.edge.upstream.failovers", unit: "{request}",
            description: "Requests passed from a failing upstream (the provider attribute) to the model's next one");
        meter.CreateObservableGauge("nexrelay.edge.upstream.breaker_state", ObserveBreakers,
            description: "Each upstream's circuit breaker on this edge: 0 closed, 1 half-open, 2 open");
    }

    public void AttemptFailed(string provider, UpstreamFailure failure) => _failures.Add(1, new TagList
    {
        { ProviderTag, provider },
        { "nexrelay.upstream.failure", failure switch
        {
            UpstreamFailure.Timeout => "timeout",
            UpstreamFailure.Connection => "connection",
            UpstreamFailure.BreakerOpen => "breaker_open",
            UpstreamFailure.ServerError => "server_error",
            _ => "other",
        } },
    });

    public void Retried(string provider) => _retries.Add(1, new KeyValuePair<string, object?>(ProviderTag, provider));

    public void FailedOver(string fromProvider) => _failovers.Add(1, new KeyValuePair<string, object?>(ProviderTag, fromProvider));

    /// <summary>A breaker was built (closed) or changed state.</summary>
    public void Breaker(string provider, BreakerState state) => _breakers[provider] = state;

    private IEnumerable<Measurement<int>> ObserveBreakers()
    {
        foreach (var (provider, state) in _breakers) yield return new((int)state, new KeyValuePair<string, object?>(ProviderTag, provider));
    }
}
