using System.Diagnostics.Metrics;

namespace NexRelay.Edge.Keys;

/// <summary>
/// Authentication counters on the shared NexRelay meter: what the failed-auth limit refused, what reached key-policy and the
/// key changes this replica heard of.
/// </summary>
internal sealed class KeyMetrics
{
    private readonly Counter<long> _failedAuthRefused;
    private readonly Counter<long> _keyPolicyLookups;
    private readonly Counter<long> _lookupsCapped;
    private readonly Counter<long> _changesReceived;

    public KeyMetrics(IMeterFactory meterFactory, FailedAuthLimiter limiter)
    {
        var meter = meterFactory.Create(NexRelayTelemetry.MeterName);
        _failedAuthRefused = meter.CreateCounter<long>("nexrelay.edge.keys.failed_auth_refused",
            description: "Requests answered 429 without any lookup because their client had too many failed authentications");
        _keyPolicyLookups = meter.CreateCounter<long>("nexrelay.edge.keys.keypolicy_lookups",
            description: "Key lookups sent to key-policy, by result (found, not_found, failed)");
        _lookupsCapped = meter.CreateCounter<long>("nexrelay.edge.keys.keypolicy_lookups_capped",
            description: "Lookups of unknown keys not sent to key-policy because the global cap was reached (answered 503)");
        // A replica whose count stays flat while the others' grow misses revocations (its KeyChanged queue is not bound):
        // only the cache's hard TTL would then end a revoked key there.
        _changesReceived = meter.CreateCounter<long>("nexrelay.edge.keys.changes_received",
            description: "KeyChanged events this replica received (each drops its cached copies of the key), by change");
        meter.CreateObservableGauge("nexrelay.edge.keys.failed_auth_clients", () => limiter.Count,
            description: "Clients the failed-auth limit remembers");
    }

    public void FailedAuthRefused() => _failedAuthRefused.Add(1);

    public void KeyPolicyLookup(string result) => _keyPolicyLookups.Add(1, new KeyValuePair<string, object?>("result", result));

    public void LookupCapped() => _lookupsCapped.Add(1);

    public void ChangeReceived(string change) => _changesReceived.Add(1, new KeyValuePair<string, object?>("change", change));
}
