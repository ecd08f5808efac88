namespace NexRelay.Contracts.Messages;

/// <summary>
/// Published by the edge once per request that presented a well-formed key. Billing settles from it
/// (when <see cref="HeldMicros"/> &gt; 0), logging stores it. Consumers are idempotent by <see cref="RequestId"/>.
/// </summary>
public sealed record RequestCompleted
{
    public required string RequestId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public Guid? KeyId { get; init; }
    public string? KeyHint { get; init; }
    public Guid? WalletId { get; init; }
    /// <summary>openai-chat, openai-responses, anthropic or gemini.</summary>
    public required string ClientFormat { get; init; }
    public required string Route { get; init; }
    public string? Model { get; init; }
    public string? UpstreamProvider { get; init; }
    public string? UpstreamModel { get; init; }
    public bool Stream { get; init; }
    public required int Status { get; init; }
    /// <summary>NexRelay's own error code (e.g. invalid_api_key, insufficient_quota); null on success.</summary>
    public string? ErrorCode { get; init; }
    public long InputTokens { get; init; }
    public long CachedInputTokens { get; init; }
    public long OutputTokens { get; init; }
    public long ReasoningTokens { get; init; }
    public bool UsageEstimated { get; init; }
    /// <summary>Usage was impossible (negative, or beyond the hold) and was clamped.</summary>
    public bool UsageClamped { get; init; }
    public long HeldMicros { get; init; }
    public long CostMicros { get; init; }
    public double LatencyMs { get; init; }
    public double? UpstreamTtfbMs { get; init; }
    public double? TtftMs { get; init; }
    public string? FinishReason { get; init; }
    public string? ClientIp { get; init; }
    public string? UserAgent { get; init; }
    public string? RequestBody { get; init; }
    public string? ResponseBody { get; init; }
    /// <summary>Bytes stored for a later request to continue this one (a Responses API response with store: true), else null.</summary>
    public long? StoredBytes { get; init; }
    /// <summary>Budget period the hold was taken against (total, day, month), so billing charges the same bucket.</summary>
    public string? BudgetPeriodKey { get; init; }
    /// <summary>Set when the hold was taken in memory against a credit lease: billing captures the cost from that lease.</summary>
    public string? LeaseId { get; init; }
    /// <summary>
    /// The W3C <c>traceparent</c> of the edge's relay span when the request was traced: events travel in batches whose own trace
    /// is the publisher's, so billing and logging start each event's span from this and the request stays one trace.
    /// </summary>
    public string? TraceParent { get; init; }
}
