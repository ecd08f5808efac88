using System.ComponentModel.DataAnnotations;

namespace NexRelay.Edge.Credits;

/// <summary>
/// Settings under <c>NexRelay:Credits:Redemption</c>: how many failed redemptions (unknown, used, voided or expired codes) a key
/// and a client address may have per window before further attempts are answered 429 without asking billing.
/// </summary>
internal sealed class RedemptionLimitOptions
{
    public const string Section = "NexRelay:Credits:Redemption";

    /// <summary>Failed redemptions per key per window: a holder who mistypes a code a few times stays well under it.</summary>
    [Range(1, 1_000_000)]
    public int FailuresPerKey { get; set; } = 10;

    /// <summary>Failed redemptions per client address (IPv6 by /64) per window, whatever keys it presents.</summary>
    [Range(1, 1_000_000)]
    public int FailuresPerAddress { get; set; } = 30;

    /// <summary>The window, starting with the first failure; Retry-After says when it ends.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);
}
