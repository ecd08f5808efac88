namespace NexRelay.Console.Edge;

// The edge's answers as the console reads them (snake_case on the wire, USD as decimal numbers). Each mirrors a shape the
// published OpenAPI document describes; the console adds no field of its own.

public sealed record DataEnvelope<T>(T Data);

/// <summary><c>GET /api/v1/key</c>.</summary>
public sealed record KeyInfo(
    Guid Id, string Name, string Hint, Guid WalletId, IReadOnlyList<string> AllowedModels, int? MaxOutputTokens, string OutputCapMode,
    decimal? BudgetUsd, string BudgetPeriod, int? Rpm, int? Tpm, DateTimeOffset? ExpiresAt, bool LogBodies,
    string? BudgetPeriodKey, decimal? BudgetUsedUsd, decimal? BudgetReservedUsd, decimal? BudgetRemainingUsd);

/// <summary><c>GET /api/v1/credits</c>.</summary>
public sealed record Credits(decimal BalanceUsd, decimal ReservedUsd, decimal AvailableUsd);

/// <summary><c>GET /api/v1/models</c> (OpenAI's list, with NexRelay's prices per million tokens).</summary>
public sealed record ModelList(IReadOnlyList<ModelInfo> Data);

public sealed record ModelInfo(string Id, string OwnedBy, ModelPricing? Pricing, int? ContextWindow, int? MaxOutputTokens);

public sealed record ModelPricing(decimal InputUsdPerMillion, decimal CachedInputUsdPerMillion, decimal OutputUsdPerMillion);

/// <summary>One request log (<c>GET /api/v1/logs</c>, <c>/admin/v1/logs</c>).</summary>
public sealed record LogEntry
{
    public required string RequestId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public Guid? KeyId { get; init; }
    public string? KeyHint { get; init; }
    public Guid? WalletId { get; init; }
    public string ClientFormat { get; init; } = "";
    public string Route { get; init; } = "";
    public string? Model { get; init; }
    public string? UpstreamProvider { get; init; }
    public string? UpstreamModel { get; init; }
    public bool Stream { get; init; }
    public int Status { get; init; }
    public string? ErrorCode { get; init; }
    public long InputTokens { get; init; }
    public long CachedInputTokens { get; init; }
    public long OutputTokens { get; init; }
    public long ReasoningTokens { get; init; }
    public bool UsageEstimated { get; init; }
    public decimal HeldUsd { get; init; }
    public decimal CostUsd { get; init; }
    public double LatencyMs { get; init; }
    public double? TtftMs { get; init; }
    public string? FinishReason { get; init; }
    public string? UserAgent { get; init; }
    public string? RequestBody { get; init; }
    public string? ResponseBody { get; init; }
}

public sealed record LogPage(IReadOnlyList<LogEntry> Data, string? NextCursor);

/// <summary><c>GET /api/v1/usage</c>, <c>/admin/v1/usage</c>: groups by the dimensions asked for, and the totals.</summary>
public sealed record UsageReport(IReadOnlyList<UsageGroup> Data, UsageFigures Totals);

public sealed record UsageGroup(
    string? Group, string? Day, string? Model, Guid? KeyId, int? Status,
    long Requests, long InputTokens, long CachedInputTokens, long OutputTokens, long ReasoningTokens, decimal CostUsd)
{
    /// <summary>With <c>group_by=upstream</c>: the provider that served the requests (null: refused before any upstream).</summary>
    public string? UpstreamProvider { get; init; }
}

public sealed record UsageFigures(long Requests, long InputTokens, long CachedInputTokens, long OutputTokens, long ReasoningTokens, decimal CostUsd);

/// <summary><c>/admin/v1/wallets</c>.</summary>
public sealed record Wallet(Guid Id, string Name, decimal BalanceUsd, decimal ReservedUsd, decimal AvailableUsd, DateTimeOffset CreatedAt);

public sealed record WalletPage(IReadOnlyList<Wallet> Data, string? NextCursor);

public sealed record LedgerEntry(long Id, Guid WalletId, string Kind, decimal AmountUsd, decimal BalanceDeltaUsd, decimal ReservedDeltaUsd,
    decimal BalanceAfterUsd, decimal ReservedAfterUsd, string? RequestId, string? Reference, string[]? Flags, string? Note, DateTimeOffset CreatedAt);

public sealed record LedgerPage(IReadOnlyList<LedgerEntry> Data, string? NextCursor);

/// <summary><c>/admin/v1/keys</c>: never the hash; the secret (<see cref="Key"/>) only in the create and rotate answers.</summary>
public sealed record AdminKey
{
    public required Guid Id { get; init; }
    public required Guid WalletId { get; init; }
    public required string Name { get; init; }
    public required string Hint { get; init; }
    public required string State { get; init; }
    public IReadOnlyList<string> AllowedModels { get; init; } = [];
    public int? MaxOutputTokens { get; init; }
    public string OutputCapMode { get; init; } = "clamp";
    public decimal? BudgetUsd { get; init; }
    public string BudgetPeriod { get; init; } = "total";
    public int? Rpm { get; init; }
    public int? Tpm { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public bool LogBodies { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? RotatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    public string? Key { get; init; }
}

public sealed record KeyPage(IReadOnlyList<AdminKey> Data, string? NextCursor);
