using System.Text.Json;
using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Apis;

/// <summary>Anthropic Messages: <c>POST /v1/messages</c>.</summary>
internal static class AnthropicApi
{
    private static readonly AnthropicFormat Format = new();

    public static IEndpointConventionBuilder MapAnthropicApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1/messages", CreateMessageAsync).WithName("CreateMessage").WithTags("Anthropic");

    public static Task CreateMessageAsync(HttpContext context) => Format.HandleAsync(context, default);
}

internal sealed class AnthropicFormat : WireFormat
{
    protected override SimulatedRequest Parse(JsonElement root, RouteInfo route)
    {
        var model = JsonRead.RequiredString(root, "model", "model: Field required");
        var messages = JsonRead.RequiredArray(root, "messages", "messages: Field required");
        if (!JsonRead.TryGet(root, "max_tokens", out _)) throw new BadRequestException("max_tokens: Field required", "max_tokens");
        var limit = JsonRead.OptionalLimit(root, "max_tokens");
        var stream = JsonRead.OptionalBool(root, "stream");

        var words = 0;
        if (JsonRead.TryGet(root, "system", out var system)) words += CountContent(system, isUser: false, out _);

        var lastIsTriggeringUser = false;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
            {
                throw new BadRequestException("messages: each message must be an object with a role", "messages");
            }
            var triggers = false;
            if (JsonRead.TryGet(message, "content", out var content)) words += CountContent(content, role.ValueEquals("user"), out triggers);
            lastIsTriggeringUser = triggers;
        }

        return new SimulatedRequest
        {
            Model = model,
            Stream = stream,
            OutputLimit = limit,
            InputTokens = Math.Max(words, 1),
            ToolName = lastIsTriggeringUser ? FirstToolName(root) : null,
        };
    }

    /// <summary>Words in a string or block array: text blocks and tool results (images carry none).</summary>
    private static int CountContent(JsonElement content, bool isUser, out bool triggers)
    {
        triggers = false;
        if (content.ValueKind == JsonValueKind.String)
        {
            triggers = isUser && WordCounter.Contains(content, ToolCall.Trigger);
            return WordCounter.Count(content);
        }
        if (content.ValueKind != JsonValueKind.Array) return 0;

        var words = 0;
        foreach (var block in content.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object) continue;
            if (JsonRead.IsString(block, "type", "text") && block.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            {
                words += WordCounter.Count(text);
                triggers |= isUser && WordCounter.Contains(text, ToolCall.Trigger);
            }
            else if (JsonRead.IsString(block, "type", "tool_result") && JsonRead.TryGet(block, "content", out var result))
            {
                words += CountContent(result, isUser: false, out _);
            }
        }
        return words;
    }

    private static string? FirstToolName(JsonElement root)
    {
        if (!JsonRead.TryGet(root, "tools", out var tools) || tools.ValueKind != JsonValueKind.Array) return null;
        foreach (var tool in tools.EnumerateArray())
        {
            return tool.ValueKind == JsonValueKind.Object && tool.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                ? name.GetString()
                : null;
        }
        return null;
    }

    protected override void WriteError(Utf8JsonWriter w, int status, string message, string? param)
    {
        w.WriteStartObject();
        w.WriteString("type"u8, "error"u8);
        w.WriteStartObject("error"u8);
        w.WriteString("type"u8, status switch
        {
            400 => "invalid_request_error",
            401 => "authentication_error",
            402 => "billing_error",
            403 => "permission_error",
            404 => "not_found_error",
            413 => "request_too_large",
            429 => "rate_limit_error",
            504 => "timeout_error",
            529 => "overloaded_error",
            >= 500 => "api_error",
            _ => "invalid_request_error",
        });
        w.WriteString("message"u8, message);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static ReadOnlySpan<byte> StopReason(SimulatedRequest request) =>
        request.IsToolCall ? "tool_use"u8 : request.Truncated ? "max_tokens"u8 : "end_turn"u8;

    protected override void WriteResponse(Utf8JsonWriter w, SimulatedRequest request)
    {
        WriteMessageStart(w, request, Ids.New("msg_"), done: true);
        w.WriteStartArray("content"u8);
        w.WriteStartObject();
        if (request.IsToolCall)
        {
            w.WriteString("type"u8, "tool_use"u8);
            w.WriteString("id"u8, Ids.New("toolu_"));
            w.WriteString("name"u8, request.ToolName);
            w.WritePropertyName("input"u8);
            ToolCall.WriteArgumentsObject(w);
            WriteDirectCaller(w);
        }
        else
        {
            w.WriteString("type"u8, "text"u8);
            w.WriteString("text"u8, Vocabulary.Text(request.OutputWords));
        }
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteString("stop_reason"u8, StopReason(request));
        w.WriteNull("stop_sequence"u8);
        if (request.ReportUsage) WriteUsage(w, request, request.ReportedOutputTokens);
        w.WriteEndObject();
    }

    /// <summary>Opens the message object and writes its leading fields.</summary>
    private static void WriteMessageStart(Utf8JsonWriter w, SimulatedRequest request, string id, bool done)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, id);
        w.WriteString("type"u8, "message"u8);
        w.WriteString("role"u8, "assistant"u8);
        w.WriteString("model"u8, request.Model);
        if (!done)
        {
            w.WriteStartArray("content"u8);
            w.WriteEndArray();
        }
    }

    // Current Anthropic responses say who invoked a tool; the SDKs require it.
    private static void WriteDirectCaller(Utf8JsonWriter w)
    {
        w.WriteStartObject("caller"u8);
        w.WriteString("type"u8, "direct"u8);
        w.WriteEndObject();
    }

    /// <summary>
    /// The message's usage. Anthropic's input_tokens leaves cache reads and writes out; the usage-input, usage-cached,
    /// usage-cache-write and usage-cache-write-1h knobs land verbatim in input_tokens, cache_read_input_tokens,
    /// cache_creation_input_tokens and cache_creation.ephemeral_1h_input_tokens. Thinking is part of output_tokens.
    /// </summary>
    private static void WriteUsage(Utf8JsonWriter w, SimulatedRequest request, long outputTokens)
    {
        w.WriteStartObject("usage"u8);
        w.WriteNumber("input_tokens"u8, request.ReportedInputTokens);
        w.WriteNumber("cache_creation_input_tokens"u8, request.ReportedCacheWriteTokens);
        w.WriteNumber("cache_read_input_tokens"u8, request.ReportedCachedTokens);
        w.WriteStartObject("cache_creation"u8);
        w.WriteNumber("ephemeral_5m_input_tokens"u8, request.ReportedCacheWriteTokens - request.ReportedCacheWrite1hTokens);
        w.WriteNumber("ephemeral_1h_input_tokens"u8, request.ReportedCacheWrite1hTokens);
        w.WriteEndObject();
        w.WriteNumber("output_tokens"u8, outputTokens);
        w.WriteString("service_tier"u8, "standard"u8);
        w.WriteEndObject();
    }

    protected override StreamSession CreateStream(SimulatedRequest request, RouteInfo route) => new Stream(request);

    private sealed class Stream(SimulatedRequest request) : StreamSession
    {
        public override int TokenCount => request.StreamTokens;

        public override void Start(SseWriter sse)
        {
            var w = sse.Begin("message_start"u8);
            w.WriteStartObject();
            w.WriteString("type"u8, "message_start"u8);
            w.WritePropertyName("message"u8);
            WriteMessageStart(w, request, Ids.New("msg_"), done: false);
            w.WriteNull("stop_reason"u8);
            w.WriteNull("stop_sequence"u8);
            // Anthropic reports input tokens here and a running output count; message_delta carries the final one.
            if (request.ReportUsage) WriteUsage(w, request, request.Knobs.UsageOutput ?? 1);
            w.WriteEndObject();
            w.WriteEndObject();
            sse.End();

            w = sse.Begin("content_block_start"u8);
            w.WriteStartObject();
            w.WriteString("type"u8, "content_block_start"u8);
            w.WriteNumber("index"u8, 0);
            w.WriteStartObject("content_block"u8);
            if (request.IsToolCall)
            {
                w.WriteString("type"u8, "tool_use"u8);
                w.WriteString("id"u8, Ids.New("toolu_"));
                w.WriteString("name"u8, request.ToolName);
                w.WriteStartObject("input"u8);
                w.WriteEndObject();
                WriteDirectCaller(w);
            }
            else
            {
                w.WriteString("type"u8, "text"u8);
                w.WriteString("text"u8, ""u8);
            }
            w.WriteEndObject();
            w.WriteEndObject();
            sse.End();

            w = sse.Begin("ping"u8);
            w.WriteStartObject();
            w.WriteString("type"u8, "ping"u8);
            w.WriteEndObject();
            sse.End();
        }

        public override void Token(SseWriter sse, int index)
        {
            var w = sse.Begin("content_block_delta"u8);
            w.WriteStartObject();
            w.WriteString("type"u8, "content_block_delta"u8);
            w.WriteNumber("index"u8, 0);
            w.WriteStartObject("delta"u8);
            if (request.IsToolCall)
            {
                w.WriteString("type"u8, "input_json_delta"u8);
                w.WriteString("partial_json"u8, ToolCall.ArgumentChunks[index]);
            }
            else
            {
                w.WriteString("type"u8, "text_delta"u8);
                w.WriteString("text"u8, Vocabulary.Delta(index));
            }
            w.WriteEndObject();
            w.WriteEndObject();
            sse.End();
        }

        public override void Finish(SseWriter sse)
        {
            var w = sse.Begin("content_block_stop"u8);
            w.WriteStartObject();
            w.WriteString("type"u8, "content_block_stop"u8);
            w.WriteNumber("index"u8, 0);
            w.WriteEndObject();
            sse.End();

            w = sse.Begin("message_delta"u8);
            w.WriteStartObject();
            w.WriteString("type"u8, "message_delta"u8);
            w.WriteStartObject("delta"u8);
            w.WriteString("stop_reason"u8, StopReason(request));
            w.WriteNull("stop_sequence"u8);
            w.WriteEndObject();
            if (request.ReportUsage)
            {
                // Cumulative figures, input included, as Anthropic's message_delta carries them.
                w.WriteStartObject("usage"u8);
                w.WriteNumber("input_tokens"u8, request.ReportedInputTokens);
                w.WriteNumber("cache_creation_input_tokens"u8, request.ReportedCacheWriteTokens);
                w.WriteNumber("cache_read_input_tokens"u8, request.ReportedCachedTokens);
                w.WriteStartObject("cache_creation"u8);
                w.WriteNumber("ephemeral_5m_input_tokens"u8, request.ReportedCacheWriteTokens - request.ReportedCacheWrite1hTokens);
                w.WriteNumber("ephemeral_1h_input_tokens"u8, request.ReportedCacheWrite1hTokens);
                w.WriteEndObject();
                w.WriteNumber("output_tokens"u8, request.ReportedOutputTokens);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            sse.End();

            w = sse.Begin("message_stop"u8);
            w.WriteStartObject();
            w.WriteString("type"u8, "message_stop"u8);
            w.WriteEndObject();
            sse.End();
        }
    }
}
