using NexRelay.Contracts.Keys;
using NexRelay.Contracts.Messages;
using NexRelay.Edge.Charging;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Relay;

/// <summary>
/// What one request did, filled in by <see cref="RelayHandler"/> as it goes (what the relay did comes back whole, see
/// <see cref="Take"/>) and published once as <see cref="RequestCompleted"/>.
/// </summary>
internal sealed class RelayRecord(string requestId, IClientFormat client, string route, long startTimestamp)
{
    public string RequestId { get; } = requestId;
    /// <summary>The caller's format: how the request is read, answered and refused.</summary>
    public IClientFormat Client { get; } = client;
    public string Route { get; } = route;
    public long StartTimestamp { get; } = startTimestamp;
    public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;
    public KeySnapshot? Key { get; set; }
    /// <summary>A syntactically valid key was presented: the request is logged even when refused.</summary>
    public bool KeyPresented { get; set; }
    public string? Model { get; set; }
    /// <summary>The upstream that answered (or failed); see <see cref="Meter"/> for the one that was handed the body.</summary>
    public string? UpstreamProvider { get; set; }
    public string? UpstreamModel { get; set; }
    /// <summary>What the upstream was given and reported: what the request is charged from.</summary>
    public UpstreamMeter Meter { get; } = new();
    /// <summary>Set once the request is priced and its hold placed: from then on it is charged when it ends.</summary>
    public RequestPricing? Pricing { get; set; }
    public bool Stream { get; set; }
    public int Status { get; set; }
    public string? ErrorCode { get; set; }
    public Usage? Usage { get; set; }
    public bool UsageEstimated { get; set; }
    public bool UsageClamped { get; set; }
    public long CostMicros { get; set; }
    /// <summary>What was held for the request and where (Holds/Reservations.cs); none until then.</summary>
    public Holds.Reservation Reservation { get; set; }
    public double? UpstreamTtfbMs { get; set; }
    public double? TtftMs { get; set; }
    public string? FinishReason { get; set; }
    public string? RequestBody { get; set; }
    public string? ResponseBody { get; set; }
    /// <summary>Bytes of the stored response (Responses API, <c>store</c>), or null.</summary>
    public long? StoredBytes { get; set; }

    /// <summary>Writes what the relay did (<see cref="UpstreamRelay"/>'s outcome) into the record.</summary>
    public void Take(in RelayOutcome outcome)
    {
        if (outcome.Upstream is { } upstream)
        {
            UpstreamProvider = upstream.Provider.Name;
            UpstreamModel = upstream.Model;
        }
        if (outcome.Status != 0) Status = outcome.Status;
        if (outcome.ErrorCode is not null) ErrorCode = outcome.ErrorCode;
        UpstreamTtfbMs = outcome.UpstreamTtfbMs;
        TtftMs = outcome.TtftMs;
        FinishReason = outcome.FinishReason;
        ResponseBody = outcome.ResponseBody;
    }

    public RequestCompleted ToMessage(double latencyMs, string? clientIp, string? userAgent, string? traceParent) => new()
    {
        RequestId = RequestId,
        CreatedAt = CreatedAt,
        KeyId = Key?.Id,
        KeyHint = Key?.Hint,
        WalletId = Key?.WalletId,
        ClientFormat = Client.WireName,
        Route = Route,
        Model = Model,
        // Named from the moment the body was handed over, so a row tells "never reached an upstream" from "left while it worked".
        UpstreamProvider = UpstreamProvider ?? Meter.Upstream?.Provider.Name,
        UpstreamModel = UpstreamModel ?? Meter.Upstream?.Model,
        Stream = Stream,
        Status = Status,
        ErrorCode = ErrorCode,
        InputTokens = Usage?.InputTokens ?? 0,
        CachedInputTokens = Usage?.CachedInputTokens ?? 0,
        OutputTokens = Usage?.OutputTokens ?? 0,
        ReasoningTokens = Usage?.ReasoningTokens ?? 0,
        UsageEstimated = UsageEstimated,
        UsageClamped = UsageClamped,
        HeldMicros = Reservation.HeldMicros,
        CostMicros = CostMicros,
        LatencyMs = latencyMs,
        UpstreamTtfbMs = UpstreamTtfbMs,
        TtftMs = TtftMs,
        FinishReason = FinishReason,
        ClientIp = clientIp,
        UserAgent = userAgent,
        RequestBody = RequestBody,
        ResponseBody = ResponseBody,
        StoredBytes = StoredBytes,
        BudgetPeriodKey = Reservation.BudgetPeriodKey,
        LeaseId = Reservation.Lease?.Id,
        TraceParent = traceParent,
    };
}
