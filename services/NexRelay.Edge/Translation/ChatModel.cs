using System.Text.Json.Nodes;

namespace NexRelay.Edge.Translation;

/// <summary>The wire format a client speaks, read from the route.</summary>
public enum ClientFormat { OpenAIChat, OpenAIResponses, Anthropic, Gemini }

/// <summary>The wire format an upstream speaks.</summary>
public enum UpstreamKind { OpenAI, Anthropic, Gemini }

/// <summary>The format-neutral request every client format parses into and every upstream format is built from.</summary>
public sealed class ChatRequest
{
    /// <summary>Public model id as the client asked for it.</summary>
    public required string Model { get; set; }
    /// <summary>System / developer instructions, in order.</summary>
    public List<ContentPart> System { get; } = [];
    public List<ChatMessage> Messages { get; } = [];
    public List<ToolDefinition> Tools { get; } = [];
    public ToolChoice? ToolChoice { get; set; }
    public bool? ParallelToolCalls { get; set; }
    /// <summary>The output limit the client asked for (null: not said). The relay overwrites it with the limit actually sent.</summary>
    public int? MaxOutputTokens { get; set; }
    public double? Temperature { get; set; }
    public double? TopP { get; set; }
    public int? TopK { get; set; }
    public List<string> Stop { get; } = [];
    public ResponseFormat? ResponseFormat { get; set; }
    public ReasoningConfig? Reasoning { get; set; }
    public bool Stream { get; set; }
    /// <summary>End-user id (OpenAI <c>user</c>, Anthropic <c>metadata.user_id</c>).</summary>
    public string? User { get; set; }
    /// <summary>OpenAI chat: the client asked for <c>stream_options.include_usage</c> (the final usage chunk with <c>choices: []</c>).</summary>
    public bool IncludeStreamUsage { get; set; }

    /// <summary>Tools the client sent that no neutral tool stands for (hosted tools), by type: see <see cref="UntranslatedTool"/>.</summary>
    public List<UntranslatedTool> UntranslatedTools { get; } = [];

    /// <summary>The client's own request fields its format echoes in the response (Responses), or null.</summary>
    public JsonObject? Echo { get; set; }

    /// <summary>The tool types dropped on the way to an upstream: all untranslated ones when translated, the billed ones on pass-through.</summary>
    public IEnumerable<string> DroppedTools(bool passthrough) =>
        UntranslatedTools.Where(t => !passthrough || t.BilledPerCall).Select(t => t.Type).Distinct(StringComparer.Ordinal);

    /// <summary><see cref="DroppedTools"/> as the header and the refusal name them (<c>web_search, tool_search</c>), or null when none is.</summary>
    public string? DroppedToolList(bool passthrough) =>
        UntranslatedTools.Count == 0 ? null : string.Join(", ", DroppedTools(passthrough)) is { Length: > 0 } list ? list : null;
}

/// <summary>
/// A client tool with no neutral equivalent (an OpenAI hosted tool such as <c>web_search</c> or <c>tool_search</c>), by type. It is
/// dropped when the request is translated; <paramref name="BilledPerCall"/> ones (billed per search, container or image, which
/// the catalog does not price) are dropped on pass-through too, so a caller never pays for what the hold did not count.
/// </summary>
public sealed record UntranslatedTool(string Type, bool BilledPerCall);

public enum ChatRole { User, Assistant, Tool }

public sealed class ChatMessage
{
    public required ChatRole Role { get; init; }
    public List<ContentPart> Parts { get; init; } = [];
}

public abstract record ContentPart;
public sealed record TextPart(string Text) : ContentPart;
/// <summary>An image by URL, or inline as base64 with its media type.</summary>
public sealed record ImagePart(string? Url, string? MediaType, string? Base64Data) : ContentPart;
public sealed record ToolCallPart(string Id, string Name, string ArgumentsJson) : ContentPart;
/// <param name="ImageCount">Images inside the result (Anthropic tool_result, Gemini functionResponse parts): not translated, but
/// forwarded as they are on pass-through, so the hold counts them like any other image.</param>
public sealed record ToolResultPart(string ToolCallId, string? Name, string Content, bool IsError = false, int ImageCount = 0) : ContentPart;
public sealed record ReasoningPart(string Text, string? Signature = null) : ContentPart;

/// <param name="Name">The name the upstream sees: a client's own name where every upstream accepts it.</param>
public sealed record ToolDefinition(string Name, string? Description, JsonNode? ParametersSchema)
{
    /// <summary>What the client calls this tool, when it is not simply <see cref="Name"/>'s function (Responses: a namespace member, a freeform tool).</summary>
    public ClientToolName? Client { get; init; }
}

/// <summary>
/// A client tool's own identity, for writing its calls back: <paramref name="Namespace"/> (Responses namespace tools), the name
/// within it, and whether it is freeform (a Responses <c>custom</c> tool, whose call carries raw text, not JSON arguments).
/// </summary>
public sealed record ClientToolName(string? Namespace, string Name, bool Freeform);

public enum ToolChoiceKind { Auto, None, Required, Tool }
public sealed record ToolChoice(ToolChoiceKind Kind, string? Name = null);

public enum ResponseFormatKind { Text, JsonObject, JsonSchema }
public sealed record ResponseFormat(ResponseFormatKind Kind, string? Name = null, JsonNode? Schema = null, bool? Strict = null);

/// <summary>Reasoning effort (OpenAI: low/medium/high) and/or a thinking budget in tokens (Anthropic, Gemini).</summary>
public sealed record ReasoningConfig(string? Effort, int? BudgetTokens);

public enum FinishReason { Stop, Length, ToolCalls, ContentFilter, Error }

/// <summary>
/// Tokens of one answer. <see cref="InputTokens"/> includes the cached ones read (<see cref="CachedInputTokens"/>) and the ones
/// written to the prompt cache (<see cref="CacheWriteTokens"/>, Anthropic: billed above the input price, dearer for a one-hour
/// lifetime, <see cref="CacheWrite1hTokens"/>); <see cref="OutputTokens"/> includes <see cref="ReasoningTokens"/>.
/// </summary>
public sealed record Usage
{
    public long InputTokens { get; init; }
    public long CachedInputTokens { get; init; }
    /// <summary>Input tokens written to the prompt cache, of every lifetime (Anthropic <c>cache_creation_input_tokens</c>).</summary>
    public long CacheWriteTokens { get; init; }
    /// <summary>Of <see cref="CacheWriteTokens"/>, those written for an hour (Anthropic <c>cache_creation.ephemeral_1h_input_tokens</c>).</summary>
    public long CacheWrite1hTokens { get; init; }
    public long OutputTokens { get; init; }
    public long ReasoningTokens { get; init; }
}

/// <summary>The format-neutral (non-streamed) response.</summary>
public sealed class ChatResponse
{
    public required string Id { get; init; }
    public required string Model { get; init; }
    /// <summary>Assistant output in order: text, reasoning and tool calls.</summary>
    public List<ContentPart> Output { get; init; } = [];
    public FinishReason FinishReason { get; init; } = FinishReason.Stop;
    /// <summary>Null when the upstream reported none.</summary>
    public Usage? Usage { get; init; }
}

/// <summary>Format-neutral stream events. Tool-call arguments arrive as raw JSON fragments that concatenate to the full arguments.</summary>
public abstract record StreamEvent;
public sealed record StreamStart(string Id, string Model) : StreamEvent;
public sealed record TextDelta(string Text) : StreamEvent;
public sealed record ReasoningDelta(string Text, string? Signature = null) : StreamEvent;
/// <summary><paramref name="Index"/> numbers tool calls within the response from 0.</summary>
public sealed record ToolCallStart(int Index, string Id, string Name) : StreamEvent;
public sealed record ToolCallDelta(int Index, string ArgumentsFragment) : StreamEvent;
public sealed record StreamFinish(FinishReason Reason) : StreamEvent;
/// <summary>Cumulative usage so far (the last one seen wins).</summary>
public sealed record UsageUpdate(Usage Usage) : StreamEvent;
/// <summary>The upstream reported an error inside its stream.</summary>
public sealed record StreamFailure(string Message) : StreamEvent;
