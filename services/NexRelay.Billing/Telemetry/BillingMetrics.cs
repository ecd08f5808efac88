using System.Diagnostics.Metrics;

namespace NexRelay.Billing.Telemetry;

/// <summary>Billing's counters on the shared NexRelay meter.</summary>
public sealed class BillingMetrics
{
    private readonly Counter<long> _holdsGranted;
    private readonly Counter<long> _holdsRefused;
    private readonly Counter<long> _capturedMicros;
    private readonly Counter<long> _settlements;
    private readonly Counter<long> _holdsExpired;

    public BillingMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(NexRelayTelemetry.MeterName);
        _holdsGranted = meter.CreateCounter<long>("nexrelay.billing.holds.granted", description: "Holds granted");
        _holdsRefused = meter.CreateCounter<long>("nexrelay.billing.holds.refused", description: "Holds refused, by shortfall (wallet or budget)");
        _capturedMicros = meter.CreateCounter<long>("nexrelay.billing.captured", unit: "uUSD", description: "Micro-USD captured by settlements");
        _settlements = meter.CreateCounter<long>("nexrelay.billing.settlements", description: "Settlement messages, by outcome");
        _holdsExpired = meter.CreateCounter<long>("nexrelay.billing.holds.expired", description: "Orphaned holds released by timeout");
    }

    public void HoldGranted() => _holdsGranted.Add(1);

    public void HoldRefused(string shortfall) => _holdsRefused.Add(1, new KeyValuePair<string, object?>("shortfall", shortfall));

    public void Settled(string outcome, long capturedMicros, bool clamped)
    {
        _settlements.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("clamped", clamped));
        if (capturedMicros > 0) _capturedMicros.Add(capturedMicros);
    }

    public void HoldsExpired(int count) => _holdsExpired.Add(count);
}
