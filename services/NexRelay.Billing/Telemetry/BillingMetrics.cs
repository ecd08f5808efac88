using System.Diagnostics.Metrics;

namespace NexRelay.Billing.Telemetry;

/// <summary>Billing's counters on the shared NexRelay meter.</summary>
public sealed class BillingMetrics
{
    private readonly Counter<long> _holdsGranted;
    private readonly Counter<long> _holdsRefused;
    private readonly Counter<long> _capturedMicros;
    private readonly Counter<long> _settlements;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _holdsExpired;
    private readonly Counter<long> _leasesGranted;
    private readonly Counter<long> _leasesRefused;
    private readonly Counter<long> _leaseGrantedMicros;
    private readonly Counter<long> _leasesClosed;
    private readonly Counter<long> _leaseReleasedMicros;
    private readonly Counter<long> _leasesExpired;
    private readonly Histogram<int> _settlementBatchSize;
    private readonly Histogram<double> _settlementLag;

    // Seconds, from tens of milliseconds (a healthy queue) to minutes (a consumer behind): the SDK's defaults are for milliseconds.
    private static readonly double[] LagBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

    public BillingMetrics(IMeterFactory meterFactory, ReservationCensus census)
    {
        var meter = meterFactory.Create(NexRelayTelemetry.MeterName);
        _holdsGranted = meter.CreateCounter<long>("nexrelay.billing.holds.granted", description: "Holds granted");
        _holdsRefused = meter.CreateCounter<long>("nexrelay.billing.holds.refused", description: "Holds refused, by shortfall (wallet or budget)");
        _capturedMicros = meter.CreateCounter<long>("nexrelay.billing.captured", unit: "uUSD", description: "Micro-USD captured by settlements");
        _settlements = meter.CreateCounter<long>("nexrelay.billing.settlements", description: "Settlement messages, by outcome");
        _deadLettered = meter.CreateCounter<long>("nexrelay.billing.settlements.dead_lettered",
            description: "Settlement events dead-lettered, by kind (malformed, refused, failed: listed by the admin API; unreadable, faulted: in the queue's _error queue)");
        _holdsExpired = meter.CreateCounter<long>("nexrelay.billing.holds.expired", description: "Orphaned holds released by timeout");
        _leasesGranted = meter.CreateCounter<long>("nexrelay.billing.leases.granted", description: "Credit leases granted");
        _leasesRefused = meter.CreateCounter<long>("nexrelay.billing.leases.refused", description: "Credit leases refused, by shortfall (wallet or budget)");
        _leaseGrantedMicros = meter.CreateCounter<long>("nexrelay.billing.leases.granted_amount", unit: "uUSD", description: "Micro-USD reserved by credit leases");
        _leasesClosed = meter.CreateCounter<long>("nexrelay.billing.leases.closed", description: "Credit lease close calls, by resulting state");
        _leaseReleasedMicros = meter.CreateCounter<long>("nexrelay.billing.leases.released", unit: "uUSD", description: "Micro-USD of unspent lease reserve released on close");
        _leasesExpired = meter.CreateCounter<long>("nexrelay.billing.leases.expired", description: "Orphaned credit leases released by timeout");
        _settlementBatchSize = meter.CreateHistogram<int>("nexrelay.billing.settlement.batch_size", unit: "{message}", description: "Settlement messages per database transaction");
        _settlementLag = meter.CreateHistogram("nexrelay.billing.settlement.lag", unit: "s",
            description: "Time from the request's end at the edge to its cost being captured (first settlement only)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LagBuckets });
        // Whole-database figures (every billing replica reports the same: take max, not sum), counted every few seconds.
        meter.CreateObservableGauge("nexrelay.billing.holds.open", () => census.Current.OpenHolds, unit: "{hold}",
            description: "Per-request holds placed and not yet settled or released");
        meter.CreateObservableGauge("nexrelay.billing.holds.reserved", () => census.Current.HeldMicros, unit: "uUSD",
            description: "Micro-USD reserved by open holds");
        meter.CreateObservableGauge("nexrelay.billing.leases.open", () => census.Current.OpenLeases, unit: "{lease}",
            description: "Credit leases open (edges may reserve against them)");
        meter.CreateObservableGauge("nexrelay.billing.leases.reserved", () => census.Current.LeasedMicros, unit: "uUSD",
            description: "Micro-USD leases still reserve (open, or closed with settlements to come)");
    }

    public void HoldGranted() => _holdsGranted.Add(1);

    public void HoldRefused(string shortfall) => _holdsRefused.Add(1, new KeyValuePair<string, object?>("shortfall", shortfall));

    public void Settled(string outcome, long capturedMicros, bool clamped, bool leased = false)
    {
        _settlements.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("clamped", clamped),
            new KeyValuePair<string, object?>("path", leased ? "lease" : "hold"));
        if (capturedMicros > 0) _capturedMicros.Add(capturedMicros);
    }

    public void DeadLettered(string kind) => _deadLettered.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void HoldsExpired(int count) => _holdsExpired.Add(count);

    public void SettlementBatch(int size) => _settlementBatchSize.Record(size);

    public void SettlementLag(TimeSpan lag) => _settlementLag.Record(Math.Max(0, lag.TotalSeconds));

    public void LeaseGranted(long micros)
    {
        _leasesGranted.Add(1);
        _leaseGrantedMicros.Add(micros);
    }

    public void LeaseRefused(string shortfall) => _leasesRefused.Add(1, new KeyValuePair<string, object?>("shortfall", shortfall));

    public void LeaseClosed(string state, long releasedMicros)
    {
        _leasesClosed.Add(1, new KeyValuePair<string, object?>("state", state));
        if (releasedMicros > 0) _leaseReleasedMicros.Add(releasedMicros);
    }

    public void LeasesExpired(int count) => _leasesExpired.Add(count);
}
