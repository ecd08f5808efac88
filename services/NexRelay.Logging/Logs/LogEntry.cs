using System.Text.Json.Serialization;

namespace NexRelay.Logging.Logs;

/// <summary>One request log as the JSON API shows it (snake_case on the wire); USD from micro-USD.</summary>
public sealed record LogEntry
{
    public required string RequestId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public Guid? KeyId { get; init; }
    public string? KeyHint { get; init; }
    public Guid? WalletId { get; init; }
    public required string ClientFormat { get; init; }
    public required string Route { get; init; }
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
    public bool UsageClamped { get; init; }
    public decimal HeldUsd { get; init; }
    public decimal CostUsd { get; init; }
    public double LatencyMs { get; init; }
    public double? UpstreamTtfbMs { get; init; }
    public double? TtftMs { get; init; }
    public string? FinishReason { get; init; }
    public string? ClientIp { get; init; }
    public string? UserAgent { get; init; }
    /// <summary>Bytes stored for a later request to continue this one (a Responses API response with store: true), else null.</summary>
    public long? StoredBytes { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RequestBody { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ResponseBody { get; init; }
}

public sealed record LogPage(IReadOnlyList<LogEntry> Data, string? NextCursor);

public sealed record UsageFigures(long Requests, long InputTokens, long CachedInputTokens, long OutputTokens, long ReasoningTokens, decimal CostUsd);

/// <summary>
/// One group of a usage report: its figures and, in <see cref="Fields"/>, a field per dimension grouped by (day, model,
/// key_id, status; null where the rows had none, such as a request refused before its model was known). Grouped by one
/// dimension, its value is also in <c>group</c>, as text: the field clients read before several dimensions could be asked for.
/// </summary>
public sealed record UsageGroup(long Requests, long InputTokens, long CachedInputTokens, long OutputTokens, long ReasoningTokens, decimal CostUsd)
{
    /// <summary>Written beside the figures, under these names: a null value is written as null, never left out.</summary>
    [JsonExtensionData]
    public Dictionary<string, object?> Fields { get; init; } = [];
}

public sealed record UsageReport(IReadOnlyList<UsageGroup> Data, UsageFigures Totals);
