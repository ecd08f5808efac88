using System.Text.Json;
using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Apis;

/// <summary>OpenAI Responses: <c>POST /v1/responses</c>.</summary>
internal static class OpenAIResponsesApi
{
    private static readonly OpenAIResponsesFormat Format = new();

    public static IEndpointConventionBuilder MapOpenAIResponsesApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1/responses", CreateResponseAsync).WithName("CreateResponse").WithTags("OpenAI");

    public static Task CreateResponseAsync(HttpContext context) => Format.HandleAsync(context, default);
}

internal sealed class OpenAIResponsesFormat : WireFormat
{
    protected override SimulatedRequest Parse(JsonElement root, RouteInfo route)
    {
        var model = JsonRead.RequiredString(root, "model", "Missing required parameter: 'model'.");
        if (!JsonRead.TryGet(root, "input", out var input)) throw new BadRequestException("Missing required parameter: 'input'.", "input");
        var stream = JsonRead.OptionalBool(root, "stream");
        // Stored unless the request says otherwise, as OpenAI's default is (the simulator keeps nothing; it only echoes it).
        var store = !JsonRead.TryGet(root, "store", out _) || JsonRead.OptionalBool(root, "store");
        var limit = JsonRead.OptionalLimit(root, "max_output_tokens");

        var words = 0;
        if (JsonRead.TryGet(root, "instructions", out var instructions) && instructions.ValueKind == JsonValueKind.String)
        {
            words += WordCounter.Count(instructions);
        }

        var lastIsTriggeringUser = false;
        if (input.ValueKind == JsonValueKind.String)
        {
            words += WordCounter.Count(input);
            lastIsTriggeringUser = WordCounter.Contains(input, ToolCall.Trigger);
        }
        else if (input.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in input.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object) throw new BadRequestException("Invalid 'input': each item must be an object.", "input");
                var triggers = false;
                if (item.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String)
                {
                    var isUser = role.ValueEquals("user");
                    if (JsonRead.TryGet(item, "content", out var content))
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
                                // input_text, output_text and refusal-free text parts; images and files carry no words.
                                if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                                {
                                    words += WordCounter.Count(text);
                                    triggers |= isUser && WordCounter.Contains(text, ToolCall.Trigger);
                                }
                            }
                        }
                    }
                }
                else if ((JsonRead.IsString(item, "type", "function_call_output") || JsonRead.IsString(item, "type", "custom_tool_call_output"))
                    && JsonRead.TryGet(item, "output", out var output))
                {
                    words += WordCounter.CountStrings(output);
                }
                else if (JsonRead.IsString(item, "type", "custom_tool_call") && JsonRead.TryGet(item, "input", out var rawInput))
                {
                    words += WordCounter.CountStrings(rawInput);
                }
                lastIsTriggeringUser = triggers;
            }
        }
        else
        {
            throw new BadRequestException("Invalid type for 'input': expected a string or an array of input items.", "input");
        }

        var tool = lastIsTriggeringUser ? FirstTool(root) : null;
        return new SimulatedRequest
        {
            Model = model,
            Stream = stream,
            OutputLimit = limit,
            InputTokens = Math.Max(words, 1),
            ToolName = tool?.Name,
            ToolNamespace = tool?.Namespace,
            FreeformTool = tool?.Freeform ?? false,
            Store = store,
        };
    }

    /// <summary>A tool the client can run itself: a <c>function</c>, or a <c>custom</c> one (freeform), maybe inside a namespace.</summary>
    private sealed record ClientTool(string Name, string? Namespace, bool Freeform);

    /// <summary>
    /// The first tool the client runs itself. Hosted tools (<c>web_search</c>, <c>tool_search</c>, <c>file_search</c> …) carry no
    /// name and are skipped, as are tools of any type the simulator does not know; a <c>namespace</c> stands for its first tool.
    /// </summary>
    private static ClientTool? FirstTool(JsonElement root)
    {
        if (!JsonRead.TryGet(root, "tools", out var tools) || tools.ValueKind != JsonValueKind.Array) return null;
        foreach (var tool in tools.EnumerateArray())
        {
            if (tool.ValueKind != JsonValueKind.Object) continue;
            if (JsonRead.IsString(tool, "type", "namespace"))
            {
                if (!tool.TryGetProperty("name", out var space) || space.ValueKind != JsonValueKind.String
                    || !JsonRead.TryGet(tool, "tools", out var members) || members.ValueKind != JsonValueKind.Array) continue;
                foreach (var member in members.EnumerateArray())
                {
                    if (Named(member, space.GetString()) is { } inner) return inner;
                }
            }
            else if (Named(tool, null) is { } named)
            {
                return named;
            }
        }
        return null;
    }

    private static ClientTool? Named(JsonElement tool, string? space)
    {
        if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String) return null;
        if (JsonRead.IsString(tool, "type", "function")) return new ClientTool(name.GetString()!, space, Freeform: false);
        if (JsonRead.IsString(tool, "type", "custom")) return new ClientTool(name.GetString()!, space, Freeform: true);
        return null;
    }

    protected override void WriteError(Utf8JsonWriter writer, int status, string message, string? param) =>
        OpenAIErrors.Write(writer, status, message, param);

    protected override void WriteResponse(Utf8JsonWriter writer, SimulatedRequest request) =>
        WriteResponseObject(writer, request, new ResponseIds(request), done: true);

    /// <summary>The ids one response uses across its events.</summary>
    private sealed class ResponseIds(SimulatedRequest request)
    {
        public string Response { get; } = Ids.New("resp_", 48);
        // OpenAI's item prefixes: fc_ function call, ctc_ custom tool call, msg_ message.
        public string Item { get; } = Ids.New(!request.IsToolCall ? "msg_" : request.FreeformTool ? "ctc_" : "fc_", 48);
        public string Call { get; } = Ids.New("call_");
        public long Created { get; } = Ids.UnixNow();
    }

    private static void WriteResponseObject(Utf8JsonWriter w, SimulatedRequest request, ResponseIds ids, bool done)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, ids.Response);
        w.WriteString("object"u8, "response"u8);
        w.WriteNumber("created_at"u8, ids.Created);
        w.WriteString("status"u8, !done ? "in_progress"u8 : request.Truncated ? "incomplete"u8 : "completed"u8);
        w.WriteBoolean("background"u8, false);
        w.WriteNull("error"u8);
        if (done && request.Truncated)
        {
            w.WriteStartObject("incomplete_details"u8);
            w.WriteString("reason"u8, "max_output_tokens"u8);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("incomplete_details"u8);
        }
        w.WriteNull("instructions"u8);
        if (request.OutputLimit is { } limit) w.WriteNumber("max_output_tokens"u8, limit);
        else w.WriteNull("max_output_tokens"u8);
        w.WriteString("model"u8, request.Model);
        w.WriteStartArray("output"u8);
        if (done) WriteOutputItem(w, request, ids, done: true);
        w.WriteEndArray();
        w.WriteBoolean("parallel_tool_calls"u8, true);
        w.WriteNull("previous_response_id"u8);
        w.WriteStartObject("reasoning"u8);
        w.WriteNull("effort"u8);
        w.WriteNull("summary"u8);
        w.WriteEndObject();
        w.WriteString("service_tier"u8, "default"u8);
        w.WriteBoolean("store"u8, request.Store);
        w.WriteNumber("temperature"u8, 1.0);
        w.WriteStartObject("text"u8);
        w.WriteStartObject("format"u8);
        w.WriteString("type"u8, "text"u8);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteString("tool_choice"u8, "auto"u8);
        w.WriteStartArray("tools"u8);
        w.WriteEndArray();
        w.WriteNumber("top_p"u8, 1.0);
        w.WriteString("truncation"u8, "disabled"u8);
        if (!request.OmitUsage)
        {
            if (done)
            {
                w.WriteStartObject("usage"u8);
                // output_tokens includes reasoning; input_tokens includes cached tokens.
                w.WriteNumber("input_tokens"u8, request.ReportedInputTokens);
                w.WriteStartObject("input_tokens_details"u8);
                w.WriteNumber("cached_tokens"u8, request.ReportedCachedTokens);
                w.WriteEndObject();
                w.WriteNumber("output_tokens"u8, request.ReportedOutputTokens);
                w.WriteStartObject("output_tokens_details"u8);
                w.WriteNumber("reasoning_tokens"u8, request.ReasoningTokens);
                w.WriteEndObject();
                w.WriteNumber("total_tokens"u8, request.ReportedTotalTokens);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("usage"u8);
            }
        }
        w.WriteNull("user"u8);
        w.WriteStartObject("metadata"u8);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteOutputItem(Utf8JsonWriter w, SimulatedRequest request, ResponseIds ids, bool done)
    {
        w.WriteStartObject();
        if (request.IsToolCall)
        {
            w.WriteString("id"u8, ids.Item);
            w.WriteString("type"u8, request.FreeformTool ? "custom_tool_call"u8 : "function_call"u8);
            w.WriteString("status"u8, done ? "completed"u8 : "in_progress"u8);
            // A custom tool's input is the raw text itself, never JSON.
            if (request.FreeformTool) w.WriteString("input"u8, done ? ToolCall.Input : "");
            else w.WriteString("arguments"u8, done ? ToolCall.Arguments : "");
            w.WriteString("call_id"u8, ids.Call);
            if (request.ToolNamespace is { } space) w.WriteString("namespace"u8, space);
            w.WriteString("name"u8, request.ToolName);
        }
        else
        {
            w.WriteString("id"u8, ids.Item);
            w.WriteString("type"u8, "message"u8);
            w.WriteString("status"u8, !done ? "in_progress"u8 : request.Truncated ? "incomplete"u8 : "completed"u8);
            w.WriteStartArray("content"u8);
            if (done) WriteTextPart(w, Vocabulary.Text(request.OutputWords));
            w.WriteEndArray();
            w.WriteString("role"u8, "assistant"u8);
        }
        w.WriteEndObject();
    }

    private static void WriteTextPart(Utf8JsonWriter w, ReadOnlySpan<byte> text)
    {
        w.WriteStartObject();
        w.WriteString("type"u8, "output_text"u8);
        w.WriteStartArray("annotations"u8);
        w.WriteEndArray();
        w.WriteStartArray("logprobs"u8);
        w.WriteEndArray();
        w.WriteString("text"u8, text);
        w.WriteEndObject();
    }

    protected override StreamSession CreateStream(SimulatedRequest request, RouteInfo route) => new Stream(request);

    private sealed class Stream(SimulatedRequest request) : StreamSession
    {
        private readonly ResponseIds _ids = new(request);
        private int _sequence;

        public override int TokenCount => request.StreamTokens;

        public override void Start(SseWriter sse)
        {
            var w = Begin(sse, "response.created"u8);
            w.WritePropertyName("response"u8);
            WriteResponseObject(w, request, _ids, done: false);
            End(sse);

            w = Begin(sse, "response.in_progress"u8);
            w.WritePropertyName("response"u8);
            WriteResponseObject(w, request, _ids, done: false);
            End(sse);

            w = Begin(sse, "response.output_item.added"u8);
            w.WriteNumber("output_index"u8, 0);
            w.WritePropertyName("item"u8);
            WriteItem(w, done: false);
            End(sse);

            if (!request.IsToolCall)
            {
                w = Begin(sse, "response.content_part.added"u8);
                WriteTextLocation(w);
                w.WritePropertyName("part"u8);
                WriteTextPart(w, []);
                End(sse);
            }
        }

        public override void Token(SseWriter sse, int index)
        {
            if (request.IsToolCall)
            {
                var w = Begin(sse, request.FreeformTool ? "response.custom_tool_call_input.delta"u8 : "response.function_call_arguments.delta"u8);
                w.WriteString("item_id"u8, _ids.Item);
                w.WriteNumber("output_index"u8, 0);
                w.WriteString("delta"u8, request.FreeformTool ? ToolCall.InputChunks[index] : ToolCall.ArgumentChunks[index]);
                End(sse);
            }
            else
            {
                var w = Begin(sse, "response.output_text.delta"u8);
                WriteTextLocation(w);
                w.WriteString("delta"u8, Vocabulary.Delta(index));
                w.WriteStartArray("logprobs"u8);
                w.WriteEndArray();
                End(sse);
            }
        }

        public override void Finish(SseWriter sse)
        {
            Utf8JsonWriter w;
            if (request.FreeformTool)
            {
                w = Begin(sse, "response.custom_tool_call_input.done"u8);
                w.WriteString("item_id"u8, _ids.Item);
                w.WriteNumber("output_index"u8, 0);
                w.WriteString("input"u8, ToolCall.Input);
                End(sse);
            }
            else if (request.IsToolCall)
            {
                w = Begin(sse, "response.function_call_arguments.done"u8);
                w.WriteString("item_id"u8, _ids.Item);
                w.WriteNumber("output_index"u8, 0);
                w.WriteString("name"u8, request.ToolName);
                w.WriteString("arguments"u8, ToolCall.Arguments);
                End(sse);
            }
            else
            {
                var text = Vocabulary.Text(request.OutputWords);
                w = Begin(sse, "response.output_text.done"u8);
                WriteTextLocation(w);
                w.WriteString("text"u8, text);
                w.WriteStartArray("logprobs"u8);
                w.WriteEndArray();
                End(sse);

                w = Begin(sse, "response.content_part.done"u8);
                WriteTextLocation(w);
                w.WritePropertyName("part"u8);
                WriteTextPart(w, text);
                End(sse);
            }

            w = Begin(sse, "response.output_item.done"u8);
            w.WriteNumber("output_index"u8, 0);
            w.WritePropertyName("item"u8);
            WriteItem(w, done: true);
            End(sse);

            // A response cut short by max_output_tokens ends with response.incomplete, as OpenAI's does.
            w = Begin(sse, request.Truncated ? "response.incomplete"u8 : "response.completed"u8);
            w.WritePropertyName("response"u8);
            WriteResponseObject(w, request, _ids, done: true);
            End(sse);
        }

        private void WriteItem(Utf8JsonWriter w, bool done) => WriteOutputItem(w, request, _ids, done);

        private void WriteTextLocation(Utf8JsonWriter w)
        {
            w.WriteString("item_id"u8, _ids.Item);
            w.WriteNumber("output_index"u8, 0);
            w.WriteNumber("content_index"u8, 0);
        }

        private Utf8JsonWriter Begin(SseWriter sse, ReadOnlySpan<byte> type)
        {
            var w = sse.Begin(type);
            w.WriteStartObject();
            w.WriteString("type"u8, type);
            w.WriteNumber("sequence_number"u8, _sequence++);
            return w;
        }

        private static void End(SseWriter sse)
        {
            sse.Json.WriteEndObject();
            sse.End();
        }
    }
}
