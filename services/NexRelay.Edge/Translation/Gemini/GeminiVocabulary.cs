using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Edge.Errors;

namespace NexRelay.Edge.Translation.Gemini;

/// <summary>
/// Gemini's words for the neutral model's, both ways, each rule once: the client side (<see cref="GeminiFormat"/>) and the
/// upstream side (<see cref="GeminiUpstream"/>) both use these. Usage: <c>promptTokenCount</c> includes cached tokens and
/// <c>candidatesTokenCount</c> excludes thoughts, so neutral output = candidates + thoughts.
/// </summary>
internal static class GeminiVocabulary
{
    public static string FinishReasonName(FinishReason reason) => reason switch
    {
        FinishReason.Length => "MAX_TOKENS",
        FinishReason.ContentFilter => "SAFETY",
        FinishReason.Error => "OTHER",
        _ => "STOP", // Gemini reports function calls with STOP too
    };

    public static FinishReason FinishReasonOf(string? reason, bool sawCalls) => reason switch
    {
        "MAX_TOKENS" => FinishReason.Length,
        "SAFETY" or "RECITATION" or "BLOCKLIST" or "PROHIBITED_CONTENT" or "SPII" or "IMAGE_SAFETY" => FinishReason.ContentFilter,
        "MALFORMED_FUNCTION_CALL" or "UNEXPECTED_TOOL_CALL" => FinishReason.Error,
        _ => sawCalls ? FinishReason.ToolCalls : FinishReason.Stop,
    };

    /// <summary>A thought (reasoning) part, with its signature when it has one.</summary>
    public static JsonObject ThoughtPart(string text, string? signature)
    {
        var part = new JsonObject { ["text"] = text, ["thought"] = true };
        if (signature is not null) part["thoughtSignature"] = signature;
        return part;
    }

    public static Usage? ReadUsage(JsonNode? node) => node is JsonObject u
        ? new Usage
        {
            InputTokens = Lenient.Long(u["promptTokenCount"]) + Lenient.Long(u["toolUsePromptTokenCount"]),
            CachedInputTokens = Lenient.Long(u["cachedContentTokenCount"]),
            OutputTokens = Lenient.Long(u["candidatesTokenCount"]) + Lenient.Long(u["thoughtsTokenCount"]),
            ReasoningTokens = Lenient.Long(u["thoughtsTokenCount"]),
        }
        : null;

    public static JsonObject UsageJson(Usage u)
    {
        var json = new JsonObject
        {
            ["promptTokenCount"] = u.InputTokens,
            ["candidatesTokenCount"] = Math.Max(0, u.OutputTokens - u.ReasoningTokens),
            ["totalTokenCount"] = u.InputTokens + u.OutputTokens,
        };
        if (u.CachedInputTokens > 0) json["cachedContentTokenCount"] = u.CachedInputTokens;
        if (u.ReasoningTokens > 0) json["thoughtsTokenCount"] = u.ReasoningTokens;
        return json;
    }

    /// <summary>Google API errors: <c>{"error":{"code","message","status"}}</c>.</summary>
    public static void WriteError(Utf8JsonWriter json, EdgeError e)
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteNumber("code", e.Status);
        json.WriteString("message", e.Message);
        json.WriteString("status", ErrorStatus(e.Kind));
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>The <c>error.status</c> of Google's envelope, also the status of an in-stream error chunk.</summary>
    public static string ErrorStatus(ErrorKind kind) => kind switch
    {
        ErrorKind.Authentication => "UNAUTHENTICATED",
        ErrorKind.InsufficientQuota => "FAILED_PRECONDITION",
        ErrorKind.Permission => "PERMISSION_DENIED",
        ErrorKind.NotFound => "NOT_FOUND",
        ErrorKind.RateLimited => "RESOURCE_EXHAUSTED",
        ErrorKind.UpstreamTimeout => "DEADLINE_EXCEEDED",
        ErrorKind.Unavailable => "UNAVAILABLE",
        ErrorKind.UpstreamError => "INTERNAL",
        _ => "INVALID_ARGUMENT",
    };
}
