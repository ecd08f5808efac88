namespace NexRelay.Contracts.Billing;

/// <summary>POST /internal/holds: reserve the worst-case cost of one request against wallet and key budget at once.</summary>
public sealed record HoldRequest
{
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
}
