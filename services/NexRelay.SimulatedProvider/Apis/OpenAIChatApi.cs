using System.Text.Json;
using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Apis;

/// <summary>OpenAI Chat Completions: <c>POST /v1/chat/completions</c>.</summary>
internal static class OpenAIChatApi
{
    private static readonly OpenAIChatFormat Format = new();

    public static IEndpointConventionBuilder MapOpenAIChatApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1/chat/completions", CreateChatCompletionAsync).WithName("CreateChatCompletion").WithTags("OpenAI");

    public static Task CreateChatCompletionAsync(HttpContext context) => Format.HandleAsync(context, default);
}

internal sealed class OpenAIChatFormat : WireFormat
{
    private const string Fingerprint = "fp_simulated";

    protected override SimulatedRequest Parse(JsonElement root, RouteInfo route)
    {
        var model = JsonRead.RequiredString(root, "model", "you must provide a model parameter");
        var messages = JsonRead.RequiredArray(root, "messages", "Missing required parameter: 'messages'.");
        var stream = JsonRead.OptionalBool(root, "stream");
        var limit = JsonRead.OptionalLimit(root, "max_completion_tokens") ?? JsonRead.OptionalLimit(root, "max_tokens");
        var includeUsage = JsonRead.TryGet(root, "stream_options", out var streamOptions)
            && streamOptions.ValueKind == JsonValueKind.Object && JsonRead.OptionalBool(streamOptions, "include_usage");

        var words = 0;
        var lastIsTriggeringUser = false;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
            {
                throw new BadRequestException("Invalid 'messages': each message must be an object with a 'role'.", "messages");
            }
            var isUser = role.ValueEquals("user");
            var triggers = false;
            if (JsonRead.TryGet(message, "content", out var content))
            {
                if (content.ValueKind == JsonValueKind.String)
                {
                    words += WordCounter.Count(content);
                    triggers = isUser && WordCounter.Contains(content, ToolCall.Trigger);
                }
                else if (content.ValueKind == JsonValueKind.Array)
                {
                    foreach (var part in content.EnumerateArray())
                    {
                        if (part.ValueKind == JsonValueKind.Object && JsonRead.IsString(part, "type", "text") && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                        {
                            words += WordCounter.Count(text);
                            triggers |= isUser && WordCounter.Contains(text, ToolCall.Trigger);
                        }
                    }
                }
            }
            lastIsTriggeringUser = triggers;
        }

        return new SimulatedRequest
        {
            Model = model,
            Stream = stream,
            OutputLimit = limit,
            InputTokens = Math.Max(words, 1),
            ToolName = lastIsTriggeringUser ? FirstToolName(root) : null,
            StreamUsageRequested = includeUsage,
        };
    }

    private static string? FirstToolName(JsonElement root)
    {
        if (!JsonRead.TryGet(root, "tools", out var tools) || tools.ValueKind != JsonValueKind.Array) return null;
        foreach (var tool in tools.EnumerateArray())
        {
            if (tool.ValueKind == JsonValueKind.Object && tool.TryGetProperty("function", out var function)
                && function.ValueKind == JsonValueKind.Object && function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
            {
                return name.GetString();
            }
            return null;
        }
        return null;
    }

    protected override void WriteError(Utf8JsonWriter writer, int status, string message, string? param) =>
        OpenAIErrors.Write(writer, status, message, param);

    protected override void WriteResponse(Utf8JsonWriter w, SimulatedRequest request)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, Ids.New("chatcmpl-"));
        w.WriteString("object"u8, "chat.completion"u8);
        w.WriteNumber("created"u8, Ids.UnixNow());
        w.WriteString("model"u8, request.Model);
        w.WriteStartArray("choices"u8);
        w.WriteStartObject();
        w.WriteNumber("index"u8, 0);
        w.WriteStartObject("message"u8);
        w.WriteString("role"u8, "assistant"u8);
        if (request.IsToolCall)
        {
            w.WriteNull("content"u8);
            w.WriteNull("refusal"u8);
            w.WriteStartArray("tool_calls"u8);
            w.WriteStartObject();
            w.WriteString("id"u8, Ids.New("call_"));
            w.WriteString("type"u8, "function"u8);
            w.WriteStartObject("function"u8);
            w.WriteString("name"u8, request.ToolName);
            w.WriteString("arguments"u8, ToolCall.Arguments);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
        }
        else
        {
            w.WriteString("content"u8, Vocabulary.Text(request.OutputWords));
            w.WriteNull("refusal"u8);
        }
        w.WriteStartArray("annotations"u8);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteNull("logprobs"u8);
        w.WriteString("finish_reason"u8, FinishReason(request));
        w.WriteEndObject();
        w.WriteEndArray();
        if (request.ReportUsage) WriteUsage(w, request);
        w.WriteString("service_tier"u8, "default"u8);
        w.WriteString("system_fingerprint"u8, Fingerprint);
        w.WriteEndObject();
    }

    private static ReadOnlySpan<byte> FinishReason(SimulatedRequest request) =>
        request.IsToolCall ? "tool_calls"u8 : request.Truncated ? "length"u8 : "stop"u8;

    private static void WriteUsage(Utf8JsonWriter w, SimulatedRequest request)
    {
        w.WriteStartObject("usage"u8);
        // completion_tokens includes reasoning; prompt_tokens includes cached tokens.
        w.WriteNumber("prompt_tokens"u8, request.ReportedInputTokens);
        w.WriteNumber("completion_tokens"u8, request.ReportedOutputTokens);
        w.WriteNumber("total_tokens"u8, request.ReportedTotalTokens);
        w.WriteStartObject("prompt_tokens_details"u8);
        w.WriteNumber("cached_tokens"u8, request.ReportedCachedTokens);
        w.WriteNumber("audio_tokens"u8, 0);
        w.WriteEndObject();
        w.WriteStartObject("completion_tokens_details"u8);
        w.WriteNumber("reasoning_tokens"u8, request.ReasoningTokens);
        w.WriteNumber("audio_tokens"u8, 0);
        w.WriteNumber("accepted_prediction_tokens"u8, 0);
        w.WriteNumber("rejected_prediction_tokens"u8, 0);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    protected override StreamSession CreateStream(SimulatedRequest request, RouteInfo route) => new Stream(request);

    private sealed class Stream(SimulatedRequest request) : StreamSession
    {
        private readonly string _id = Ids.New("chatcmpl-");
        private readonly long _created = Ids.UnixNow();

        public override int TokenCount => request.StreamTokens;

        public override void Start(SseWriter sse)
        {
            var w = BeginChunk(sse);
            w.WriteString("role"u8, "assistant"u8);
            if (request.IsToolCall)
            {
                w.WriteNull("content"u8);
                w.WriteStartArray("tool_calls"u8);
                w.WriteStartObject();
                w.WriteNumber("index"u8, 0);
                w.WriteString("id"u8, Ids.New("call_"));
                w.WriteString("type"u8, "function"u8);
                w.WriteStartObject("function"u8);
                w.WriteString("name"u8, request.ToolName);
                w.WriteString("arguments"u8, ""u8);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndArray();
            }
            else
            {
                w.WriteString("content"u8, ""u8);
            }
            w.WriteNull("refusal"u8);
            EndChunk(sse, finishReason: default);
        }

        public override void Token(SseWriter sse, int index)
        {
            var w = BeginChunk(sse);
            if (request.IsToolCall)
            {
                w.WriteStartArray("tool_calls"u8);
                w.WriteStartObject();
                w.WriteNumber("index"u8, 0);
                w.WriteStartObject("function"u8);
                w.WriteString("arguments"u8, ToolCall.ArgumentChunks[index]);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndArray();
            }
            else
            {
                w.WriteString("content"u8, Vocabulary.Delta(index));
            }
            EndChunk(sse, finishReason: default);
        }

        public override void Finish(SseWriter sse)
        {
            BeginChunk(sse);
            EndChunk(sse, FinishReason(request));

            if (request.ReportStreamUsage)
            {
                var w = sse.Begin();
                WriteChunkHeader(w);
                w.WriteStartArray("choices"u8);
                w.WriteEndArray();
                WriteUsage(w, request);
                w.WriteEndObject();
                sse.End();
            }
            sse.WriteRaw("data: [DONE]\n\n"u8);
        }

        private void WriteChunkHeader(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteString("id"u8, _id);
            w.WriteString("object"u8, "chat.completion.chunk"u8);
            w.WriteNumber("created"u8, _created);
            w.WriteString("model"u8, request.Model);
            w.WriteString("service_tier"u8, "default"u8);
            w.WriteString("system_fingerprint"u8, Fingerprint);
        }

        /// <summary>Opens a chunk with one choice and leaves its <c>delta</c> object open for the caller.</summary>
        private Utf8JsonWriter BeginChunk(SseWriter sse)
        {
            var w = sse.Begin();
            WriteChunkHeader(w);
            w.WriteStartArray("choices"u8);
            w.WriteStartObject();
            w.WriteNumber("index"u8, 0);
            w.WriteStartObject("delta"u8);
            return w;
        }

        private void EndChunk(SseWriter sse, ReadOnlySpan<byte> finishReason)
        {
            var w = sse.Json;
            w.WriteEndObject();
            w.WriteNull("logprobs"u8);
            if (finishReason.IsEmpty) w.WriteNull("finish_reason"u8);
            else w.WriteString("finish_reason"u8, finishReason);
            w.WriteEndObject();
            w.WriteEndArray();
            // With include_usage every chunk carries "usage": null until the usage chunk, as OpenAI does.
            if (request.ReportStreamUsage) w.WriteNull("usage"u8);
            w.WriteEndObject();
            sse.End();
        }
    }
}

/// <summary>The OpenAI error envelope: <c>{"error":{"message","type","param","code"}}</c>.</summary>
internal static class OpenAIErrors
{
    public static void Write(Utf8JsonWriter w, int status, string message, string? param)
    {
        var (type, code) = status switch
        {
            401 => ("invalid_request_error", "invalid_api_key"),
            404 => ("invalid_request_error", "model_not_found"),
            429 => ("requests", "rate_limit_exceeded"),
            >= 500 => ("server_error", null),
            _ => ("invalid_request_error", (string?)null),
        };
        w.WriteStartObject();
        w.WriteStartObject("error"u8);
        w.WriteString("message"u8, message);
        w.WriteString("type"u8, type);
        if (param is null) w.WriteNull("param"u8);
        else w.WriteString("param"u8, param);
        if (code is null) w.WriteNull("code"u8);
        else w.WriteString("code"u8, code);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
