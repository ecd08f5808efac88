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
}

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

public sealed record ToolDefinition(string Name, string? Description, JsonNode? ParametersSchema);

public enum ToolChoiceKind { Auto, None, Required, Tool }
public sealed record ToolChoice(ToolChoiceKind Kind, string? Name = null);

public enum ResponseFormatKind { Text, JsonObject, JsonSchema }
public sealed record ResponseFormat(ResponseFormatKind Kind, string? Name = null, JsonNode? Schema = null, bool? Strict = null);

/// <summary>Reasoning effort (OpenAI: low/medium/high) and/or a thinking budget in tokens (Anthropic, Gemini).</summary>
public sealed record ReasoningConfig(string? Effort, int? BudgetTokens);

public enum FinishReason { Stop, Length, ToolCalls, ContentFilter, Error }

public sealed record Usage
{
    public long InputTokens { get; init; }
    public long CachedInputTokens { get; init; }
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
