using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Translation.Sse;
using static NexRelay.Edge.Translation.RequestReader;

namespace NexRelay.Edge.Translation.OpenAI;

/// <summary>
/// OpenAI Chat Completions (<c>POST /v1/chat/completions</c>). Neutral usage convention (all formats): input tokens include
/// cached ones, output tokens include reasoning ones — the same as OpenAI's own, so this mapping is direct.
/// </summary>
public sealed partial class OpenAIChatFormat : IClientFormat
{
    public ClientFormat Format => ClientFormat.OpenAIChat;
    public UpstreamKind? NativeUpstream => UpstreamKind.OpenAI;
    public string WireName => "openai-chat";
    public string ResponseId(string requestId) => Ids.ForRequest("chatcmpl-", requestId);
    public void WriteError(Utf8JsonWriter json, EdgeError error) => OpenAIVocabulary.WriteError(json, error);
    public string StreamErrorType(ErrorKind kind) => "server_error";
    public bool DropsUsageOnlyEvents(ChatRequest request) => !request.IncludeStreamUsage;
    public IModelListShape ModelList => OpenAIModelList.Instance;

    public ChatRequest ParseRequest(JsonObject body, string? routeModel, bool? routeStream) => Guard(() => Parse(body));

    private static ChatRequest Parse(JsonObject body)
    {
        var request = new ChatRequest { Model = RequiredString(body, "model", "model") };
        RefuseUnpriced(body);
        var messages = RequiredArray(body, "messages", "messages");
        if (messages.Count == 0) throw new RequestValidationException("'messages' must contain at least one message.", "messages");
        var toolNames = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < messages.Count; i++)
        {
            ParseMessage(AsObject(messages[i], $"messages[{i}]"), $"messages[{i}]", request, toolNames);
        }

        if (OptionalArray(body, "tools", "tools") is { } tools)
        {
            for (var i = 0; i < tools.Count; i++)
            {
                var tool = AsObject(tools[i], $"tools[{i}]");
                var type = OptionalString(tool, "type", $"tools[{i}].type") ?? "function";
                if (type != "function")
                {
                    throw new RequestValidationException($"Unsupported tool type '{type}': only 'function' tools are supported.", $"tools[{i}].type");
                }
                var fn = OptionalObject(tool, "function", $"tools[{i}].function")
                    ?? throw new RequestValidationException($"Missing required parameter: 'tools[{i}].function'.", $"tools[{i}].function");
                request.Tools.Add(new ToolDefinition(
                    RequiredString(fn, "name", $"tools[{i}].function.name"),
                    OptionalString(fn, "description", $"tools[{i}].function.description"),
                    OptionalObject(fn, "parameters", $"tools[{i}].function.parameters")?.DeepClone()));
            }
        }
        request.ToolChoice = ParseToolChoice(Get(body, "tool_choice"));
        request.ParallelToolCalls = OptionalBool(body, "parallel_tool_calls", "parallel_tool_calls");
        request.MaxOutputTokens = OptionalInt(body, "max_completion_tokens", "max_completion_tokens", 1)
                                  ?? OptionalInt(body, "max_tokens", "max_tokens", 1);
        request.Temperature = OptionalDouble(body, "temperature", "temperature", 0, 2);
        request.TopP = OptionalDouble(body, "top_p", "top_p", 0, 1);
        ReadStringOrArray(body, "stop", "stop", request.Stop);
        if (OptionalInt(body, "n", "n", 1) is > 1)
        {
            throw new RequestValidationException("Only n=1 is supported.", "n");
        }
        request.ResponseFormat = ParseResponseFormat(OptionalObject(body, "response_format", "response_format"));
        if (OptionalString(body, "reasoning_effort", "reasoning_effort") is { } effort)
        {
            request.Reasoning = new ReasoningConfig(effort, null);
        }
        request.Stream = OptionalBool(body, "stream", "stream") ?? false;
        if (OptionalObject(body, "stream_options", "stream_options") is { } streamOptions)
        {
            request.IncludeStreamUsage = OptionalBool(streamOptions, "include_usage", "stream_options.include_usage") ?? false;
        }
        request.User = OptionalString(body, "user", "user") ?? OptionalString(body, "safety_identifier", "safety_identifier");
        return request;
    }

    private static void ParseMessage(JsonObject m, string p, ChatRequest request, Dictionary<string, string> toolNames)
    {
        var role = RequiredString(m, "role", $"{p}.role");
        switch (role)
        {
            case "system" or "developer":
                foreach (var part in ParseContent(Get(m, "content"), $"{p}.content", allowImages: false))
                {
                    request.System.Add(part);
                }
                break;
            case "user":
                request.Messages.Add(new ChatMessage { Role = ChatRole.User, Parts = ParseContent(Get(m, "content"), $"{p}.content", allowImages: true) });
                break;
            case "assistant":
            {
                RefuseUnpricedMessage(m, p);
                var parts = Get(m, "content") is null ? [] : ParseContent(Get(m, "content"), $"{p}.content", allowImages: false);
                if (OptionalArray(m, "tool_calls", $"{p}.tool_calls") is { } calls)
                {
                    for (var j = 0; j < calls.Count; j++)
                    {
                        var call = AsObject(calls[j], $"{p}.tool_calls[{j}]");
                        var fn = OptionalObject(call, "function", $"{p}.tool_calls[{j}].function")
                            ?? throw new RequestValidationException($"Missing required parameter: '{p}.tool_calls[{j}].function'.", $"{p}.tool_calls[{j}].function");
                        var id = RequiredString(call, "id", $"{p}.tool_calls[{j}].id");
                        var name = RequiredString(fn, "name", $"{p}.tool_calls[{j}].function.name");
                        toolNames[id] = name;
                        parts.Add(new ToolCallPart(id, name, OptionalString(fn, "arguments", $"{p}.tool_calls[{j}].function.arguments") ?? "{}"));
                    }
                }
                request.Messages.Add(new ChatMessage { Role = ChatRole.Assistant, Parts = parts });
                break;
            }
            case "tool":
            {
                var id = RequiredString(m, "tool_call_id", $"{p}.tool_call_id");
                var text = JoinText(ParseContent(Get(m, "content"), $"{p}.content", allowImages: false));
                request.Messages.Add(new ChatMessage
                {
                    Role = ChatRole.Tool,
                    Parts = [new ToolResultPart(id, toolNames.GetValueOrDefault(id), text)],
                });
                break;
            }
            default:
                throw new RequestValidationException(
                    $"Invalid value for '{p}.role': '{role}'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.", $"{p}.role");
        }
    }

    internal static List<ContentPart> ParseContent(JsonNode? content, string p, bool allowImages)
    {
        switch (content)
        {
            case null:
                throw new RequestValidationException($"Missing required parameter: '{p}'.", p);
            case JsonArray array:
            {
                var parts = new List<ContentPart>(array.Count);
                for (var i = 0; i < array.Count; i++)
                {
                    var part = AsObject(array[i], $"{p}[{i}]");
                    var type = RequiredString(part, "type", $"{p}[{i}].type");
                    switch (type)
                    {
                        case "text":
                            parts.Add(new TextPart(RequiredString(part, "text", $"{p}[{i}].text")));
                            break;
                        case "refusal":
                            parts.Add(new TextPart(RequiredString(part, "refusal", $"{p}[{i}].refusal")));
                            break;
                        case "image_url" when allowImages:
                        {
                            var image = Get(part, "image_url");
                            var url = image is JsonObject o
                                ? RequiredString(o, "url", $"{p}[{i}].image_url.url")
                                : AsString(image ?? throw Invalid($"{p}[{i}].image_url", "an object"), $"{p}[{i}].image_url");
                            parts.Add(ImageUrls.FromUrl(url));
                            break;
                        }
                        default:
                            throw UnpricedPart(type, $"{p}[{i}].type")
                                  ?? new RequestValidationException($"Unsupported content part type '{type}' here.", $"{p}[{i}].type");
                    }
                }
                return parts;
            }
            default:
                return [new TextPart(AsString(content, p))];
        }
    }

    internal static string JoinText(List<ContentPart> parts) =>
        parts.Count == 1 && parts[0] is TextPart only ? only.Text : string.Concat(parts.OfType<TextPart>().Select(t => t.Text));

    internal static ToolChoice? ParseToolChoice(JsonNode? node)
    {
        switch (node)
        {
            case null: return null;
            case JsonObject o:
            {
                var fn = OptionalObject(o, "function", "tool_choice.function")
                    ?? throw new RequestValidationException("Missing required parameter: 'tool_choice.function'.", "tool_choice.function");
                return new ToolChoice(ToolChoiceKind.Tool, RequiredString(fn, "name", "tool_choice.function.name"));
            }
            default:
                return AsString(node, "tool_choice") switch
                {
                    "auto" => new ToolChoice(ToolChoiceKind.Auto),
                    "none" => new ToolChoice(ToolChoiceKind.None),
                    "required" => new ToolChoice(ToolChoiceKind.Required),
                    var other => throw new RequestValidationException(
                        $"Invalid value for 'tool_choice': '{other}'. Supported values are: 'none', 'auto' and 'required'.", "tool_choice"),
                };
        }
    }

    private static ResponseFormat? ParseResponseFormat(JsonObject? rf)
    {
        if (rf is null) return null;
        var type = RequiredString(rf, "type", "response_format.type");
        switch (type)
        {
            case "text": return new ResponseFormat(ResponseFormatKind.Text);
            case "json_object": return new ResponseFormat(ResponseFormatKind.JsonObject);
            case "json_schema":
            {
                var js = OptionalObject(rf, "json_schema", "response_format.json_schema")
                    ?? throw new RequestValidationException("Missing required parameter: 'response_format.json_schema'.", "response_format.json_schema");
                return new ResponseFormat(ResponseFormatKind.JsonSchema,
                    RequiredString(js, "name", "response_format.json_schema.name"),
                    OptionalObject(js, "schema", "response_format.json_schema.schema")?.DeepClone(),
                    OptionalBool(js, "strict", "response_format.json_schema.strict"));
            }
            default:
                throw new RequestValidationException(
                    $"Invalid value for 'response_format.type': '{type}'. Supported values are: 'text', 'json_object' and 'json_schema'.", "response_format.type");
        }
    }

    public void ApplyPassthroughEdits(JsonObject body, string upstreamModel, int maxOutputTokens, bool stream)
    {
        body["model"] = upstreamModel;
        // Keep the client's own field name: older OpenAI-compatible servers know only max_tokens, o-series only max_completion_tokens.
        if (body.ContainsKey("max_tokens") && !body.ContainsKey("max_completion_tokens")) body["max_tokens"] = maxOutputTokens;
        else body["max_completion_tokens"] = maxOutputTokens;
        if (stream)
        {
            if (body["stream_options"] is not JsonObject options)
            {
                options = [];
                body["stream_options"] = options;
            }
            options["include_usage"] = true;
        }
    }

    public JsonObject WriteResponse(ChatResponse response, string publicModel)
    {
        var message = new JsonObject { ["role"] = "assistant" };
        var text = new StringBuilder();
        var calls = new JsonArray();
        foreach (var part in response.Output)
        {
            switch (part)
            {
                case TextPart t: text.Append(t.Text); break;
                case ToolCallPart c:
                    calls.Add(new JsonObject
                    {
                        ["id"] = c.Id,
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.ArgumentsJson },
                    });
                    break;
            }
        }
        message["content"] = text.Length == 0 && calls.Count > 0 ? null : text.ToString();
        message["refusal"] = null;
        if (calls.Count > 0) message["tool_calls"] = calls;
        var result = new JsonObject
        {
            ["id"] = Ids.Ensure("chatcmpl-", response.Id),
            ["object"] = "chat.completion",
            ["created"] = Ids.UnixNow(),
            ["model"] = publicModel,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = message,
                ["logprobs"] = null,
                ["finish_reason"] = OpenAIVocabulary.FinishReasonName(response.FinishReason),
            }),
        };
        if (response.Usage is { } usage) result["usage"] = OpenAIVocabulary.ChatUsageJson(usage);
        return result;
    }

    public IClientStreamWriter CreateStreamWriter(string responseId, string publicModel) =>
        new OpenAIChatStreamWriter(Ids.Ensure("chatcmpl-", responseId), publicModel, includeUsage: false);

    public IClientStreamWriter CreateStreamWriter(string responseId, string publicModel, ChatRequest request) =>
        new OpenAIChatStreamWriter(Ids.Ensure("chatcmpl-", responseId), publicModel, request.IncludeStreamUsage);
}

/// <summary>
/// <c>chat.completion.chunk</c> grammar: a role chunk first, content / tool-call deltas (id, type and name on a call's first
/// chunk, then argument fragments), a finish_reason chunk, the usage chunk (<c>choices: []</c>) only if the client asked, then <c>[DONE]</c>.
/// </summary>
internal sealed class OpenAIChatStreamWriter(string id, string model, bool includeUsage) : IClientStreamWriter
{
    private readonly long _created = Ids.UnixNow();
    private bool _started;
    private bool _finished;
    private bool _closed;
    private bool _sawToolCalls;

    public void Write(StreamEvent streamEvent, IBufferWriter<byte> output)
    {
        if (_closed) return;
        switch (streamEvent)
        {
            case StreamStart:
                EnsureStarted(output);
                break;
            case TextDelta { Text.Length: > 0 } t:
            {
                EnsureStarted(output);
                var json = BeginChunk(output);
                json.WriteStartObject("delta");
                json.WriteString("content", t.Text);
                json.WriteEndObject();
                EndChunk(json, output, null);
                break;
            }
            case ToolCallStart s:
            {
                EnsureStarted(output);
                _sawToolCalls = true;
                var json = BeginChunk(output);
                json.WriteStartObject("delta");
                json.WriteStartArray("tool_calls");
                json.WriteStartObject();
                json.WriteNumber("index", s.Index);
                json.WriteString("id", s.Id);
                json.WriteString("type", "function");
                json.WriteStartObject("function");
                json.WriteString("name", s.Name);
                json.WriteString("arguments", "");
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndArray();
                json.WriteEndObject();
                EndChunk(json, output, null);
                break;
            }
            case ToolCallDelta { ArgumentsFragment.Length: > 0 } d:
            {
                EnsureStarted(output);
                var json = BeginChunk(output);
                json.WriteStartObject("delta");
                json.WriteStartArray("tool_calls");
                json.WriteStartObject();
                json.WriteNumber("index", d.Index);
                json.WriteStartObject("function");
                json.WriteString("arguments", d.ArgumentsFragment);
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndArray();
                json.WriteEndObject();
                EndChunk(json, output, null);
                break;
            }
            case StreamFinish f:
                WriteFinish(f.Reason, output);
                break;
            case StreamFailure failure:
                WriteError("upstream_error", failure.Message, output);
                break;
            // Reasoning text has no place in the Chat Completions grammar; usage is written once, at Complete.
        }
    }

    public void Complete(Usage? usage, IBufferWriter<byte> output)
    {
        if (_closed) return;
        EnsureStarted(output);
        if (!_finished) WriteFinish(_sawToolCalls ? FinishReason.ToolCalls : FinishReason.Stop, output);
        if (includeUsage && usage is not null)
        {
            var json = SseWriter.Begin(output, null);
            WriteHeader(json);
            json.WriteStartArray("choices");
            json.WriteEndArray();
            json.WritePropertyName("usage");
            OpenAIVocabulary.ChatUsageJson(usage).WriteTo(json);
            json.WriteEndObject();
            SseWriter.End(json, output);
        }
        SseWriter.WriteRaw(output, null, "[DONE]"u8);
        _closed = true;
    }

    public void WriteError(string errorType, string message, IBufferWriter<byte> output)
    {
        if (_closed) return;
        // The OpenAI SDKs raise an APIError for a chunk carrying "error".
        var json = SseWriter.Begin(output, null);
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", message);
        json.WriteString("type", errorType);
        json.WriteNull("param");
        json.WriteNull("code");
        json.WriteEndObject();
        json.WriteEndObject();
        SseWriter.End(json, output);
        SseWriter.WriteRaw(output, null, "[DONE]"u8);
        _closed = true;
    }

    private void EnsureStarted(IBufferWriter<byte> output)
    {
        if (_started) return;
        _started = true;
        var json = BeginChunk(output);
        json.WriteStartObject("delta");
        json.WriteString("role", "assistant");
        json.WriteString("content", "");
        json.WriteNull("refusal");
        json.WriteEndObject();
        EndChunk(json, output, null);
    }

    private void WriteFinish(FinishReason reason, IBufferWriter<byte> output)
    {
        if (_finished) return;
        EnsureStarted(output);
        _finished = true;
        var json = BeginChunk(output);
        json.WriteStartObject("delta");
        json.WriteEndObject();
        EndChunk(json, output, OpenAIVocabulary.FinishReasonName(reason));
    }

    private void WriteHeader(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("id", id);
        json.WriteString("object", "chat.completion.chunk");
        json.WriteNumber("created", _created);
        json.WriteString("model", model);
    }

    /// <summary>Opens a chunk up to the single choice's object, ready for "delta".</summary>
    private Utf8JsonWriter BeginChunk(IBufferWriter<byte> output)
    {
        var json = SseWriter.Begin(output, null);
        WriteHeader(json);
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        return json;
    }

    private static void EndChunk(Utf8JsonWriter json, IBufferWriter<byte> output, string? finishReason)
    {
        json.WriteNull("logprobs");
        if (finishReason is null) json.WriteNull("finish_reason");
        else json.WriteString("finish_reason", finishReason);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        SseWriter.End(json, output);
    }
}
