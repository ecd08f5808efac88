using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Edge.Errors;

namespace NexRelay.Edge.Translation.Anthropic;

/// <summary>
/// Anthropic's words for the neutral model's, both ways, each rule once: the client side (<see cref="AnthropicFormat"/>) and
/// the upstream side (<see cref="AnthropicUpstream"/>) both use these.
/// </summary>
internal static class AnthropicVocabulary
{
    public static string StopReason(FinishReason reason) => reason switch
    {
        FinishReason.Length => "max_tokens",
        FinishReason.ToolCalls => "tool_use",
        FinishReason.ContentFilter => "refusal",
        _ => "end_turn",
    };

    public static FinishReason FinishReasonOf(string? stopReason) => stopReason switch
    {
        "max_tokens" or "model_context_window_exceeded" => FinishReason.Length,
        "tool_use" => FinishReason.ToolCalls,
        "refusal" => FinishReason.ContentFilter,
        _ => FinishReason.Stop, // end_turn, stop_sequence, pause_turn
    };

    /// <summary>
    /// The usage rule: Anthropic's <c>input_tokens</c> excludes cache reads and writes, the neutral input includes them
    /// (input = input_tokens + cache reads + cache writes, cached = cache reads, cache writes apart with their one-hour part,
    /// since each is priced on its own). A figure that is absent (null) keeps <paramref name="previous"/>'s, as a
    /// message_delta's usage keeps message_start's input.
    /// </summary>
    public static Usage ReadUsage(long? inputTokens, long cacheRead, long cacheCreation, long cacheCreation1h, long? outputTokens, Usage? previous) => new()
    {
        InputTokens = inputTokens is { } input ? input + cacheRead + cacheCreation : previous?.InputTokens ?? 0,
        CachedInputTokens = inputTokens is null ? previous?.CachedInputTokens ?? 0 : cacheRead,
        CacheWriteTokens = inputTokens is null ? previous?.CacheWriteTokens ?? 0 : cacheCreation,
        CacheWrite1hTokens = inputTokens is null ? previous?.CacheWrite1hTokens ?? 0 : cacheCreation1h,
        OutputTokens = outputTokens ?? previous?.OutputTokens ?? 0,
    };

    /// <summary><see cref="ReadUsage(long?, long, long, long, long?, Usage?)"/> over a parsed response's <c>usage</c>.</summary>
    public static Usage? ReadUsage(JsonObject? u, Usage? previous) => u is null ? previous : ReadUsage(
        u["input_tokens"] is not null ? Lenient.Long(u["input_tokens"]) : null,
        Lenient.Long(u["cache_read_input_tokens"]), Lenient.Long(u["cache_creation_input_tokens"]),
        Lenient.Long(Lenient.Path(u, "cache_creation", "ephemeral_1h_input_tokens")),
        u.ContainsKey("output_tokens") ? Lenient.Long(u["output_tokens"]) : null, previous);

    /// <summary><see cref="ReadUsage(long?, long, long, long, long?, Usage?)"/> over a stream event's <c>usage</c>.</summary>
    public static Usage ReadUsage(JsonElement u, Usage? previous) => ReadUsage(
        u.TryGetProperty("input_tokens"u8, out var input) && input.ValueKind == JsonValueKind.Number ? Lenient.Long(u, "input_tokens"u8) : null,
        Lenient.Long(u, "cache_read_input_tokens"u8), Lenient.Long(u, "cache_creation_input_tokens"u8),
        u.TryGetProperty("cache_creation"u8, out var creation) && creation.ValueKind == JsonValueKind.Object
            ? Lenient.Long(creation, "ephemeral_1h_input_tokens"u8) : 0,
        u.TryGetProperty("output_tokens"u8, out _) ? Lenient.Long(u, "output_tokens"u8) : null, previous);

    /// <summary>The usage rule backwards: <c>input_tokens</c> = input − cache reads − cache writes.</summary>
    public static JsonObject UsageJson(Usage u, bool includeInput)
    {
        var json = new JsonObject();
        if (includeInput)
        {
            json["input_tokens"] = Math.Max(0, u.InputTokens - u.CachedInputTokens - u.CacheWriteTokens);
            json["cache_creation_input_tokens"] = u.CacheWriteTokens;
            json["cache_read_input_tokens"] = u.CachedInputTokens;
        }
        json["output_tokens"] = u.OutputTokens;
        return json;
    }

    /// <summary>Anthropic's error envelope: <c>{"type":"error","error":{"type","message"}}</c>.</summary>
    public static void WriteError(Utf8JsonWriter json, EdgeError e)
    {
        json.WriteStartObject();
        json.WriteString("type", "error");
        json.WriteStartObject("error");
        json.WriteString("type", ErrorType(e.Kind));
        json.WriteString("message", e.Message);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>The <c>error.type</c> of Anthropic's envelope, also the type of an in-stream <c>error</c> event.</summary>
    public static string ErrorType(ErrorKind kind) => kind switch
    {
        ErrorKind.Authentication => "authentication_error",
        ErrorKind.InsufficientQuota => "billing_error",
        ErrorKind.Permission => "permission_error",
        ErrorKind.NotFound => "not_found_error",
        ErrorKind.TooLarge => "request_too_large",
        ErrorKind.RateLimited => "rate_limit_error",
        ErrorKind.UpstreamTimeout => "timeout_error",
        ErrorKind.Unavailable => "overloaded_error",
        ErrorKind.UpstreamError => "api_error",
        _ => "invalid_request_error",
    };
}
