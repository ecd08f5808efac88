using System.ComponentModel.DataAnnotations;

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

    [Range(1, 100_000)]
    public int ExpiryBatchSize { get; set; } = 500;

    /// <summary>The settlement queue (kebab-case); tests use a unique one per run.</summary>
    [Required, RegularExpression("^[a-z0-9][a-z0-9._-]*$")]
    public string SettlementQueue { get; set; } = "settle-request";

    /// <summary>Auto-delete the settlement queue when the service disconnects (tests only: a durable queue never loses settlements).</summary>
    public bool SettlementQueueTemporary { get; set; }

    [Range(1, 512)]
    public int SettlementConcurrency { get; set; } = 16;
}

/// <summary>Settings under <c>NexRelay</c> shared with the edge.</summary>
public sealed class AdminOptions
{
    public const string Section = "NexRelay";

    /// <summary>The admin bearer token (<c>NexRelay:AdminToken</c>); the edge forwards admin calls with it.</summary>
    [Required(ErrorMessage = "Setting NexRelay:AdminToken is required (the admin API's bearer token).")]
    [MinLength(8, ErrorMessage = "Setting NexRelay:AdminToken must be at least 8 characters.")]
    public string AdminToken { get; set; } = "";
}
