using System.ComponentModel.DataAnnotations;

namespace NexRelay.Billing.Client;

/// <summary>Settings under <c>Holds</c>: how long the edge waits for billing's hold before failing the request.</summary>
public sealed class HoldClientOptions
{
    public const string Section = "Holds";

    /// <summary>Billing's base address; "http://billing" resolves through Aspire service discovery (<c>services:billing:http:0</c>).</summary>
    [Required]
    public string BillingBaseAddress { get; set; } = "http://billing";

    /// <summary>Per attempt. A hold normally takes about a millisecond; this only bounds a sick or unreachable billing.</summary>
    [Range(50, 30_000)]
    public int AttemptTimeoutMilliseconds { get; set; } = 1500;

    /// <summary>Attempts on a connection failure, timeout or 5xx (safe: holds are idempotent by request id).</summary>
    [Range(1, 5)]
    public int MaxAttempts { get; set; } = 2;
}
