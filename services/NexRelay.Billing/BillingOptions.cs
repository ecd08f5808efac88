using System.ComponentModel.DataAnnotations;
using NexRelay.ServiceDefaults;

namespace NexRelay.Billing;

/// <summary>Settings under <c>Billing</c>.</summary>
public sealed class BillingOptions
{
    public const string Section = "Billing";

    /// <summary>A hold still open after this long is an orphan (its edge died) and is released. Longer than the longest allowed request.</summary>
    [Range(1, 7 * 24 * 3600)]
    public int HoldTimeoutSeconds { get; set; } = 900;

    /// <summary>How often the orphan sweeper looks for expired holds.</summary>
    [Range(1, 3600)]
    public int ExpirySweepSeconds { get; set; } = 30;

    /// <summary>
    /// The sweeper releases nothing for this long after billing starts. While billing was down the edges could not renew,
    /// so after an outage longer than the hold timeout every reservation looks orphaned; the edges retry their renewals
    /// every second, and this gives them time to land before anything still needed is released.
    /// </summary>
    [Range(0, 3600)]
    public int ExpiryStartGraceSeconds { get; set; } = 30;

    [Range(1, 100_000)]
    public int ExpiryBatchSize { get; set; } = 500;

    /// <summary>The settlement queue (kebab-case); tests use a unique one per run.</summary>
    [Required, RegularExpression("^[a-z0-9][a-z0-9._-]*$")]
    public string SettlementQueue { get; set; } = "settle-request";

    /// <summary>Auto-delete the settlement queue when the service disconnects (tests only: a durable queue never loses settlements).</summary>
    public bool SettlementQueueTemporary { get; set; }

    /// <summary>Settlement batches settled concurrently (each one database transaction).</summary>
    [Range(1, 64)]
    public int SettlementConcurrency { get; set; } = 4;

    /// <summary>At most this many settlement messages per batch (one database transaction).</summary>
    [Range(1, 1000)]
    public int SettlementBatchSize { get; set; } = 100;

    /// <summary>A partial batch is settled once its first message has waited this long.</summary>
    [Range(1, 10_000)]
    public int SettlementBatchMilliseconds { get; set; } = 20;
}

/// <summary>Settings under <c>NexRelay</c> shared with the edge.</summary>
public sealed class AdminOptions
{
    public const string Section = "NexRelay";

    /// <summary>The admin bearer token (<c>NexRelay:AdminToken</c>); the edge forwards admin calls with it.</summary>
    [AdminToken]
    public string AdminToken { get; set; } = "";
}
