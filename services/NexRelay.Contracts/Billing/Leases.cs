namespace NexRelay.Contracts.Billing;

/// <summary>
/// POST /internal/leases: reserve a slice of a wallet (and of the key's budget bucket) for one edge replica, which then holds
/// per request in memory against it (docs/architecture.md, "Money"). Idempotent by <see cref="LeaseId"/>.
/// </summary>
public sealed record LeaseRequest
{
    public required string LeaseId { get; init; }
    public required Guid WalletId { get; init; }
    public required Guid KeyId { get; init; }
    /// <summary>What the edge would like to reserve.</summary>
    public required long TargetMicros { get; init; }
    /// <summary>Below this the lease is refused and the edge holds per request (small balances stay exact).</summary>
    public required long MinimumMicros { get; init; }
    /// <summary>Grant at most (available ÷ divisor) of the wallet and of the budget's room, so replicas and keys share a wallet.</summary>
    public int ShareDivisor { get; init; } = 4;
    public long? BudgetMicros { get; init; }
    public string BudgetPeriod { get; init; } = "total";
    /// <summary>How long the edge may place new holds against the lease (its requests may run longer, up to the hold timeout).</summary>
    public int ReserveSeconds { get; init; } = 60;
}

public sealed record LeaseResponse
{
    public required bool Granted { get; init; }
    public long GrantedMicros { get; init; }
    /// <summary>When refused: "wallet" or "budget" (the edge then holds per request, which gives the exact answer).</summary>
    public string? Shortfall { get; init; }
    public long AvailableMicros { get; init; }
    public string? BudgetPeriodKey { get; init; }
    /// <summary>No new holds against the lease after this (its reserve window, or the end of its budget period if sooner).</summary>
    public DateTimeOffset ReserveUntil { get; init; }
    /// <summary>Billing's hold timeout: an open lease is released this long after <see cref="ReserveUntil"/> or its last renewal.</summary>
    public int HoldTimeoutSeconds { get; init; }
}

/// <summary>
/// POST /internal/leases/{leaseId}/close: the edge stops using the lease; <see cref="SpentMicros"/> is the sum of the final
/// costs of every request it placed against it. Billing releases the rest at once and keeps <see cref="SpentMicros"/> reserved
/// until those requests' settlements arrive. Idempotent.
/// </summary>
public sealed record LeaseCloseRequest
{
    public required long SpentMicros { get; init; }
}

public sealed record LeaseCloseResponse
{
    /// <summary>closed, or the lease's state when it was no longer open (closed, expired); unknown when there is no such lease.</summary>
    public required string State { get; init; }
    public long GrantedMicros { get; init; }
    public long CapturedMicros { get; init; }
    public long ReleasedMicros { get; init; }
}
