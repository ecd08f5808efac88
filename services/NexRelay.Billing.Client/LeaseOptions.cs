using System.ComponentModel.DataAnnotations;

namespace NexRelay.Billing.Client;

/// <summary>
/// Settings under <c>Holds:Leases</c>: credit leases (docs/architecture.md). A replica reserves a slice of a key's wallet and budget at
/// billing once, then holds each request's worst case in memory against it; small balances keep per-request holds.
/// </summary>
public sealed class LeaseOptions
{
    public const string Section = "Holds:Leases";

    /// <summary>Off: every request holds at billing (one round trip and one transaction per request).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The slice one lease asks for: 10 USD. Billing grants less when a quarter of the wallet (or budget room) is less.</summary>
    [Range(1, 1_000_000L * 1_000_000L)]
    public long TargetMicros { get; set; } = 10_000_000;

    /// <summary>A lease must cover at least this many of the request's worst case, or the request holds at billing instead.</summary>
    [Range(1, 1_000_000)]
    public int MinimumRequests { get; set; } = 16;

    /// <summary>Billing grants at most (available ÷ this), so other replicas and keys of the wallet are not starved.</summary>
    [Range(1, 64)]
    public int ShareDivisor { get; set; } = 4;

    /// <summary>How long new holds may be placed against one lease before it is closed and a fresh one taken.</summary>
    [Range(1, 3600)]
    public int ReserveSeconds { get; set; } = 60;

    /// <summary>A lease unused this long is closed, so its unspent part returns to the wallet.</summary>
    [Range(50, 600_000)]
    public int IdleReturnMilliseconds { get; set; } = 2_000;

    /// <summary>After billing refused a lease (small balance or budget), the key holds per request this long before asking again.</summary>
    [Range(0, 600_000)]
    public int RefusedRetryMilliseconds { get; set; } = 1_000;

    /// <summary>How often leases are checked for idleness and retired leases closed.</summary>
    [Range(20, 60_000)]
    public int SweepMilliseconds { get; set; } = 250;
}
