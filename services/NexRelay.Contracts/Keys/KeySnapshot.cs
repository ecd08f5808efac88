namespace NexRelay.Contracts.Keys;

/// <summary>What the edge needs to authorise a request: served by key-policy's lookup-by-hash endpoint and cached.</summary>
public sealed record KeySnapshot
{
    public required Guid Id { get; init; }
    public required Guid WalletId { get; init; }
    public required string Name { get; init; }
    public required string Hint { get; init; }
    /// <summary>active, disabled or revoked.</summary>
    public required string State { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public required KeyPolicy Policy { get; init; }

    /// <summary>
    /// The key row's version (<c>keys.version</c>, bumped by every change in the statement that makes it): grows with every
    /// change of this key and never goes back. An edge refuses a snapshot older than the newest <see cref="Messages.KeyChanged"/>
    /// it saw for the hash. 0 when absent: snapshots written before versions existed (rolling upgrade) and new keys.
    /// </summary>
    public long Version { get; init; }
}

public sealed record KeyPolicy
{
    public IReadOnlyList<string> AllowedModels { get; init; } = [];
    public int? MaxOutputTokens { get; init; }
    /// <summary>clamp (default) or reject.</summary>
    public string OutputCapMode { get; init; } = "clamp";
    public long? BudgetMicros { get; init; }
    /// <summary>total, day or month (UTC).</summary>
    public string BudgetPeriod { get; init; } = "total";
    public int? Rpm { get; init; }
    public int? Tpm { get; init; }
    public bool LogBodies { get; init; }
}
