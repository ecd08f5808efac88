using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Edge.Errors;

namespace NexRelay.Edge.Translation.OpenAI;

/// <summary>
/// OpenAI's words for the neutral model's, both ways, each rule once: the client side (<see cref="OpenAIChatFormat"/>,
/// <see cref="OpenAIResponsesFormat"/>) and the upstream side (<see cref="OpenAIUpstream"/>) both use these. The neutral
/// usage is OpenAI's own convention (input includes cached tokens, output includes reasoning tokens).
/// </summary>
internal static class OpenAIVocabulary
{
    public static string FinishReasonName(FinishReason reason) => reason switch
    {
        FinishReason.Length => "length",
        FinishReason.ToolCalls => "tool_calls",
        FinishReason.ContentFilter => "content_filter",
        _ => "stop",
    };

    public static FinishReason FinishReasonOf(string? reason) => reason switch
    {
        "length" => FinishReason.Length,
        "tool_calls" or "function_call" => FinishReason.ToolCalls,
        "content_filter" => FinishReason.ContentFilter,
        _ => FinishReason.Stop,
    };

    /// <summary>Chat Completions <c>usage</c> of a parsed response.</summary>
    public static Usage? ReadUsage(JsonNode? usage) => usage is JsonObject u
        ? new Usage
        {
            InputTokens = Lenient.Long(u["prompt_tokens"]),
            CachedInputTokens = Lenient.Long(Lenient.Path(u, "prompt_tokens_details", "cached_tokens")),
            OutputTokens = Lenient.Long(u["completion_tokens"]),
            ReasoningTokens = Lenient.Long(Lenient.Path(u, "completion_tokens_details", "reasoning_tokens")),
        }
        : null;

    /// <summary>Chat Completions <c>usage</c> of a stream chunk: the same fields as <see cref="ReadUsage(JsonNode?)"/>.</summary>
    public static Usage ReadUsage(JsonElement usage) => new()
    {
        InputTokens = Lenient.Long(usage, "prompt_tokens"u8),
        CachedInputTokens = usage.TryGetProperty("prompt_tokens_details"u8, out var pd) ? Lenient.Long(pd, "cached_tokens"u8) : 0,
        OutputTokens = Lenient.Long(usage, "completion_tokens"u8),
        ReasoningTokens = usage.TryGetProperty("completion_tokens_details"u8, out var cd) ? Lenient.Long(cd, "reasoning_tokens"u8) : 0,
    };

    /// <summary>Responses <c>usage</c> (<c>input_tokens</c>, <c>output_tokens</c> and their details) of a parsed response.</summary>
    public static Usage? ReadResponsesUsage(JsonNode? usage) => usage is JsonObject u
        ? new Usage
        {
            InputTokens = Lenient.Long(u["input_tokens"]),
            CachedInputTokens = Lenient.Long(Lenient.Path(u, "input_tokens_details", "cached_tokens")),
            OutputTokens = Lenient.Long(u["output_tokens"]),
            ReasoningTokens = Lenient.Long(Lenient.Path(u, "output_tokens_details", "reasoning_tokens")),
        }
        : null;

    /// <summary>Responses <c>usage</c> of a stream's terminal event: the same fields as <see cref="ReadResponsesUsage(JsonNode?)"/>.</summary>
    public static Usage ReadResponsesUsage(JsonElement usage) => new()
    {
        InputTokens = Lenient.Long(usage, "input_tokens"u8),
        CachedInputTokens = usage.TryGetProperty("input_tokens_details"u8, out var id) && id.ValueKind == JsonValueKind.Object ? Lenient.Long(id, "cached_tokens"u8) : 0,
        OutputTokens = Lenient.Long(usage, "output_tokens"u8),
        ReasoningTokens = usage.TryGetProperty("output_tokens_details"u8, out var od) && od.ValueKind == JsonValueKind.Object ? Lenient.Long(od, "reasoning_tokens"u8) : 0,
    };

    public static JsonObject ChatUsageJson(Usage u) => new()
    {
        ["prompt_tokens"] = u.InputTokens,
        ["completion_tokens"] = u.OutputTokens,
        ["total_tokens"] = u.InputTokens + u.OutputTokens,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = u.CachedInputTokens },
        ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = u.ReasoningTokens },
    };

    /// <summary>OpenAI's error envelope: <c>{"error":{"message","type","param","code"}}</c>.</summary>
    public static void WriteError(Utf8JsonWriter json, EdgeError e)
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", e.Message);
        json.WriteString("type", ErrorType(e.Kind));
        if (e.Param is null) json.WriteNull("param"); else json.WriteString("param", e.Param);
        json.WriteString("code", e.Code);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>The <c>error.type</c> of OpenAI's envelope (Chat Completions and Responses alike).</summary>
    public static string ErrorType(ErrorKind kind) => kind switch
    {
        ErrorKind.Authentication => "invalid_request_error",
        ErrorKind.InsufficientQuota => "insufficient_quota",
        ErrorKind.Permission => "permission_error",
        ErrorKind.RateLimited => "rate_limit_error",
        ErrorKind.UpstreamError or ErrorKind.UpstreamTimeout or ErrorKind.Unavailable => "server_error",
        _ => "invalid_request_error",
    };
}
