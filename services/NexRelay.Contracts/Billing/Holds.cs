namespace NexRelay.Contracts.Billing;

/// <summary>POST /internal/holds: reserve the worst-case cost of one request against wallet and key budget at once.</summary>
public sealed record HoldRequest
{
    /// <summary>1,000,000 USD: no single request can sensibly need more. Billing refuses a larger hold; the edge refuses such a request first.</summary>
    public const long MaxAmountMicros = 1_000_000L * 1_000_000L;

    public required string RequestId { get; init; }
    public required Guid WalletId { get; init; }
    public required Guid KeyId { get; init; }
    public required long AmountMicros { get; init; }
    public long? BudgetMicros { get; init; }
    public string BudgetPeriod { get; init; } = "total";
}

public sealed record HoldResponse
{
    public required bool Granted { get; init; }
    /// <summary>When refused: "wallet" or "budget".</summary>
    public string? Shortfall { get; init; }
    public long NeededMicros { get; init; }
    public long AvailableMicros { get; init; }
    /// <summary>The budget bucket the hold counts against (e.g. total, day:2026-11-29, month:2026-11).</summary>
    public string? BudgetPeriodKey { get; init; }
    /// <summary>
    /// Billing releases a hold not renewed for this long (<c>Billing:HoldTimeoutSeconds</c>): the edge renews a live request's
    /// hold well within it (<c>POST /internal/reservations/renew</c>). 0 from a billing that does not say.
    /// </summary>
    public int HoldTimeoutSeconds { get; init; }
}

/// <summary>
/// <c>POST /internal/reservations/renew</c>: the edge's requests that still run, so billing does not release their reservations
/// as orphans. Per-request holds by request id, credit leases by lease id.
/// </summary>
public sealed record RenewRequest
{
    public IReadOnlyList<string> Holds { get; init; } = [];
    public IReadOnlyList<string> Leases { get; init; } = [];
}

/// <summary>How many of each were still reserved and are now renewed (the others were settled or had expired).</summary>
public sealed record RenewResponse
{
    public int Holds { get; init; }
    public int Leases { get; init; }
}
