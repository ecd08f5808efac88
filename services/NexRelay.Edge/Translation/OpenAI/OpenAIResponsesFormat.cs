using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Translation.Sse;
using static NexRelay.Edge.Translation.RequestReader;

namespace NexRelay.Edge.Translation.OpenAI;

/// <summary>
/// OpenAI Responses (<c>POST /v1/responses</c>). Passed through to an OpenAI upstream that serves the Responses API
/// (<see cref="Catalog.Provider.ServesResponses"/>), translated for every other. Responses are stored and continued by NexRelay
/// itself, whatever the upstream (<see cref="ResponsesState"/>): a <c>previous_response_id</c> has become the whole conversation
/// in <c>input</c> before the body is parsed, and is only echoed.
/// </summary>
public sealed partial class OpenAIResponsesFormat : IClientFormat
{
    /// <summary>Request fields a response echoes, as OpenAI's does (the rest of the response object is the answer's).</summary>
    private static readonly string[] EchoedFields =
    [
        "instructions", "max_output_tokens", "max_tool_calls", "metadata", "parallel_tool_calls", "prompt_cache_key", "reasoning",
        "safety_identifier", "temperature", "text", "tool_choice", "tools", "top_logprobs", "top_p", "truncation", "user",
    ];

    public ClientFormat Format => ClientFormat.OpenAIResponses;
    public UpstreamKind? NativeUpstream => UpstreamKind.OpenAI;

    /// <summary>Only an OpenAI upstream that serves <c>/responses</c> takes the body as it is; Chat Completions is translated to.</summary>
    public IUpstreamFormat? PassthroughTo(Catalog.Provider provider) =>
        provider is { Kind: UpstreamKind.OpenAI, ServesResponses: true } ? OpenAIResponsesUpstream.Instance : null;

    public string WireName => "openai-responses";
    public IStoredResponses StoredResponses => ResponsesState.Instance;
    public string ResponseId(string requestId) => Ids.ForRequest("resp_", requestId);
    public void WriteError(Utf8JsonWriter json, EdgeError error) => OpenAIVocabulary.WriteError(json, error);
    public string StreamErrorType(ErrorKind kind) => "server_error";

    public ChatRequest ParseRequest(JsonObject body, string? routeModel, bool? routeStream) => Guard(() => Parse(body));

    private static ChatRequest Parse(JsonObject body)
    {
        var request = new ChatRequest { Model = RequiredString(body, "model", "model") };
        RefuseUnpriced(body);
        if (Get(body, "conversation") is not null)
        {
            throw new RequestValidationException(
                "conversation is not supported: continue a stored response with previous_response_id, or send the whole conversation as 'input'", "conversation");
        }
        if (OptionalString(body, "instructions", "instructions") is { Length: > 0 } instructions)
        {
            request.System.Add(new TextPart(instructions));
        }
        // Tools first: input items name them (a namespace member's call, a freeform call) by the client's names.
        var toolNames = OptionalArray(body, "tools", "tools") is { } tools
            ? ResponsesTools.Parse(tools, request)
            : new Dictionary<(string Namespace, string Name), string>();
        var input = Get(body, "input") ?? throw new RequestValidationException("Missing required parameter: 'input'.", "input");
        if (input is JsonArray items)
        {
            if (items.Count == 0) throw new RequestValidationException("'input' must contain at least one item.", "input");
            var callNames = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < items.Count; i++)
            {
                ParseItem(AsObject(items[i], $"input[{i}]"), $"input[{i}]", request, toolNames, callNames);
            }
        }
        else
        {
            request.Messages.Add(new ChatMessage { Role = ChatRole.User, Parts = [new TextPart(AsString(input, "input"))] });
        }

        request.ToolChoice = Get(body, "tool_choice") switch
        {
            null => null,
            JsonObject o => ToolChoiceOf(o, toolNames),
            var node => AsString(node, "tool_choice") switch
            {
                "auto" => new ToolChoice(ToolChoiceKind.Auto),
                "none" => new ToolChoice(ToolChoiceKind.None),
                "required" => new ToolChoice(ToolChoiceKind.Required),
                var other => throw new RequestValidationException(
                    $"Invalid value for 'tool_choice': '{other}'. Supported values are: 'none', 'auto' and 'required'.", "tool_choice"),
            },
        };
        request.ParallelToolCalls = OptionalBool(body, "parallel_tool_calls", "parallel_tool_calls");
        request.MaxOutputTokens = OptionalInt(body, "max_output_tokens", "max_output_tokens", 1);
        request.Temperature = OptionalDouble(body, "temperature", "temperature", 0, 2);
        request.TopP = OptionalDouble(body, "top_p", "top_p", 0, 1);
        if (OptionalObject(body, "text", "text") is { } text && OptionalObject(text, "format", "text.format") is { } format)
        {
            request.ResponseFormat = RequiredString(format, "type", "text.format.type") switch
            {
                "text" => new ResponseFormat(ResponseFormatKind.Text),
                "json_object" => new ResponseFormat(ResponseFormatKind.JsonObject),
                "json_schema" => new ResponseFormat(ResponseFormatKind.JsonSchema,
                    RequiredString(format, "name", "text.format.name"),
                    OptionalObject(format, "schema", "text.format.schema")?.DeepClone(),
                    OptionalBool(format, "strict", "text.format.strict")),
                var other => throw new RequestValidationException(
                    $"Invalid value for 'text.format.type': '{other}'. Supported values are: 'text', 'json_object' and 'json_schema'.", "text.format.type"),
            };
        }
        if (OptionalObject(body, "reasoning", "reasoning") is { } reasoning
            && OptionalString(reasoning, "effort", "reasoning.effort") is { } effort)
        {
            request.Reasoning = new ReasoningConfig(effort, null);
        }
        request.Stream = OptionalBool(body, "stream", "stream") ?? false;
        request.User = OptionalString(body, "user", "user") ?? OptionalString(body, "safety_identifier", "safety_identifier");
        var echo = Echo(body);
        echo["store"] = ResponsesState.Instance.Stores(body);
        if (ResponsesState.Instance.ContinuesFrom(body) is { } previous) echo["previous_response_id"] = previous;
        request.Echo = echo;
        return request;
    }

    /// <summary>
    /// A named tool choice: a function or custom tool by its client name (within its namespace, if any). Hosted tools are not
    /// forwarded, so choosing one leaves the choice to the model; <c>allowed_tools</c> keeps its mode.
    /// </summary>
    private static ToolChoice ToolChoiceOf(JsonObject o, Dictionary<(string Namespace, string Name), string> toolNames)
    {
        var type = RequiredString(o, "type", "tool_choice.type");
        switch (type)
        {
            case "function" or "custom":
            {
                var name = RequiredString(o, "name", "tool_choice.name");
                var ns = OptionalString(o, "namespace", "tool_choice.namespace");
                return new ToolChoice(ToolChoiceKind.Tool, toolNames.GetValueOrDefault((ns ?? "", name)) ?? ResponsesTools.NeutralName(ns, name));
            }
            case "allowed_tools":
                return OptionalString(o, "mode", "tool_choice.mode") == "required" ? new ToolChoice(ToolChoiceKind.Required) : new ToolChoice(ToolChoiceKind.Auto);
            default:
                return new ToolChoice(ToolChoiceKind.Auto);
        }
    }

    private static JsonObject Echo(JsonObject body)
    {
        var echo = new JsonObject();
        foreach (var field in EchoedFields)
        {
            if (Get(body, field) is { } value) echo[field] = value.DeepClone();
        }
        return echo;
    }

    /// <summary>
    /// One input item. Calls are named by their neutral tool names (<paramref name="toolNames"/>, see <see cref="ResponsesTools"/>);
    /// <paramref name="callNames"/> remembers each call's name for its output. Items of hosted tools (a web search, a tool search
    /// the upstream ran) have no neutral form and are left out, as their tools are.
    /// </summary>
    private static void ParseItem(JsonObject item, string p, ChatRequest request, Dictionary<(string Namespace, string Name), string> toolNames,
        Dictionary<string, string> callNames)
    {
        var type = OptionalString(item, "type", $"{p}.type") ?? "message";
        switch (type)
        {
            case "message":
            {
                var role = RequiredString(item, "role", $"{p}.role");
                var content = Get(item, "content") ?? throw new RequestValidationException($"Missing required parameter: '{p}.content'.", $"{p}.content");
                var parts = ParseContent(content, $"{p}.content");
                switch (role)
                {
                    case "system" or "developer":
                        request.System.AddRange(parts.Where(x => x is TextPart));
                        break;
                    case "user":
                        AppendTo(request, ChatRole.User, parts);
                        break;
                    case "assistant":
                        AppendTo(request, ChatRole.Assistant, parts);
                        break;
                    default:
                        throw new RequestValidationException(
                            $"Invalid value for '{p}.role': '{role}'. Supported values are: 'user', 'assistant', 'system' and 'developer'.", $"{p}.role");
                }
                break;
            }
            case "function_call" or "custom_tool_call":
            {
                var callId = RequiredString(item, "call_id", $"{p}.call_id");
                var name = RequiredString(item, "name", $"{p}.name");
                var ns = OptionalString(item, "namespace", $"{p}.namespace");
                var neutral = toolNames.GetValueOrDefault((ns ?? "", name)) ?? ResponsesTools.NeutralName(ns, name);
                callNames[callId] = neutral;
                var arguments = type == "function_call"
                    ? OptionalString(item, "arguments", $"{p}.arguments") ?? "{}"
                    : ResponsesTools.WrapInput(RequiredString(item, "input", $"{p}.input"));
                AppendTo(request, ChatRole.Assistant, [new ToolCallPart(callId, neutral, arguments)]);
                break;
            }
            case "function_call_output" or "custom_tool_call_output":
            {
                var callId = RequiredString(item, "call_id", $"{p}.call_id");
                var output = Get(item, "output") ?? throw new RequestValidationException($"Missing required parameter: '{p}.output'.", $"{p}.output");
                var text = output is JsonArray ? OpenAIChatFormat.JoinText(ParseContent(output, $"{p}.output")) : AsString(output, $"{p}.output");
                AppendTo(request, ChatRole.Tool, [new ToolResultPart(callId, callNames.GetValueOrDefault(callId), text)]);
                break;
            }
            case "item_reference":
                throw new RequestValidationException(
                    "Item references are not supported: send the item itself, or continue its response with previous_response_id.", $"{p}.type");
            case var hosted when hosted.EndsWith("_call", StringComparison.Ordinal) || hosted.EndsWith("_call_output", StringComparison.Ordinal):
                break;
            case "reasoning":
            {
                var summary = new StringBuilder();
                if (OptionalArray(item, "summary", $"{p}.summary") is { } parts)
                {
                    foreach (var s in parts.OfType<JsonObject>()) summary.Append(Lenient.Str(s["text"]));
                }
                if (summary.Length > 0) AppendTo(request, ChatRole.Assistant, [new ReasoningPart(summary.ToString())]);
                break;
            }
            default:
                throw new RequestValidationException($"Unsupported input item type '{type}'.", $"{p}.type");
        }
    }

    /// <summary>Consecutive items of one role (a message then its function calls) form one neutral message.</summary>
    private static void AppendTo(ChatRequest request, ChatRole role, List<ContentPart> parts)
    {
        if (request.Messages.Count > 0 && request.Messages[^1].Role == role && role != ChatRole.User)
        {
            request.Messages[^1].Parts.AddRange(parts);
        }
        else
        {
            request.Messages.Add(new ChatMessage { Role = role, Parts = parts });
        }
    }

    private static List<ContentPart> ParseContent(JsonNode content, string p)
    {
        if (content is not JsonArray array) return [new TextPart(AsString(content, p))];
        var parts = new List<ContentPart>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var part = AsObject(array[i], $"{p}[{i}]");
            var type = RequiredString(part, "type", $"{p}[{i}].type");
            switch (type)
            {
                case "input_text" or "output_text":
                    parts.Add(new TextPart(RequiredString(part, "text", $"{p}[{i}].text")));
                    break;
                case "refusal":
                    parts.Add(new TextPart(RequiredString(part, "refusal", $"{p}[{i}].refusal")));
                    break;
                case "input_image":
                {
                    var url = OptionalString(part, "image_url", $"{p}[{i}].image_url")
                        ?? throw new RequestValidationException("Only input_image with image_url is supported (file_id is not).", $"{p}[{i}].image_url");
                    parts.Add(ImageUrls.FromUrl(url));
                    break;
                }
                default:
                    throw UnpricedContent(type, $"{p}[{i}].type")
                          ?? new RequestValidationException($"Unsupported content type '{type}'.", $"{p}[{i}].type");
            }
        }
        return parts;
    }

    public void ApplyPassthroughEdits(JsonObject body, string upstreamModel, int maxOutputTokens, bool stream)
    {
        body["model"] = upstreamModel;
        body["max_output_tokens"] = maxOutputTokens;
        // The conversation it named is already in the input (ResponsesState.Continue); the upstream may not know the id.
        body.Remove("previous_response_id");
        // Hosted tools billed per call are not forwarded (the catalog prices no tool calls), nor a choice of one.
        if (body["tools"] is JsonArray tools)
        {
            for (var i = tools.Count - 1; i >= 0; i--)
            {
                if (tools[i] is JsonObject tool && Lenient.Str(tool["type"]) is { } type && ResponsesTools.BilledPerCall(type)) tools.RemoveAt(i);
            }
        }
        if (body["tool_choice"] is JsonObject choice && Lenient.Str(choice["type"]) is { } chosen && ResponsesTools.BilledPerCall(chosen))
        {
            body["tool_choice"] = "auto";
        }
    }

    public JsonObject WriteResponse(ChatResponse response, string publicModel) => WriteResponse(response, publicModel, null);

    public JsonObject WriteResponse(ChatResponse response, ChatRequest request) => WriteResponse(response, request.Model, request);

    private static JsonObject WriteResponse(ChatResponse response, string publicModel, ChatRequest? request)
    {
        var clientNames = ResponsesTools.ClientNames(request);
        var output = new JsonArray();
        var text = new StringBuilder();
        string? messageId = null;
        void FlushText()
        {
            if (messageId is null) return;
            output.Add(MessageItem(messageId, text.ToString()));
            messageId = null;
            text.Clear();
        }
        foreach (var part in response.Output)
        {
            switch (part)
            {
                case TextPart t:
                    messageId ??= Ids.New("msg_");
                    text.Append(t.Text);
                    break;
                case ReasoningPart r:
                    FlushText();
                    output.Add(ReasoningItem(Ids.New("rs_"), r.Text));
                    break;
                case ToolCallPart c:
                    FlushText();
                    output.Add(CallItem(c.Id, c.Name, c.ArgumentsJson, clientNames.GetValueOrDefault(c.Name), done: true));
                    break;
            }
        }
        FlushText();
        return ResponseObject(Ids.Ensure("resp_", response.Id), publicModel, Ids.UnixNow(), response.FinishReason, output, response.Usage, final: true,
            request?.Echo);
    }

    /// <summary>A tool call as the client named the tool: a <c>function_call</c> (in its namespace, if any) or a freeform tool's <c>custom_tool_call</c>.</summary>
    internal static JsonObject CallItem(string callId, string neutralName, string arguments, ClientToolName? client, bool done, string? itemId = null)
    {
        if (client is { Freeform: true })
        {
            var custom = new JsonObject
            {
                ["id"] = itemId ?? Ids.New("ctc_"),
                ["type"] = "custom_tool_call",
                ["status"] = done ? "completed" : "in_progress",
                ["call_id"] = callId,
            };
            if (client.Namespace is not null) custom["namespace"] = client.Namespace;
            custom["name"] = client.Name;
            custom["input"] = done ? ResponsesTools.UnwrapInput(arguments) : "";
            return custom;
        }
        var item = FunctionCallItem(itemId ?? Ids.New("fc_"), callId, client?.Name ?? neutralName, done ? arguments : "", done ? "completed" : "in_progress");
        if (client?.Namespace is { } ns) item["namespace"] = ns;
        return item;
    }

    /// <param name="echo">The request's own fields (<see cref="ChatRequest.Echo"/>), written over the defaults as OpenAI echoes them.</param>
    internal static JsonObject ResponseObject(string id, string model, long created, FinishReason? finish, JsonArray output, Usage? usage, bool final,
        JsonObject? echo)
    {
        var incomplete = finish is FinishReason.Length or FinishReason.ContentFilter;
        var response = new JsonObject
        {
            ["id"] = id,
            ["object"] = "response",
            ["created_at"] = created,
            ["status"] = !final ? "in_progress" : finish == FinishReason.Error ? "failed" : incomplete ? "incomplete" : "completed",
            ["error"] = null,
            ["incomplete_details"] = final && incomplete
                ? new JsonObject { ["reason"] = finish == FinishReason.Length ? "max_output_tokens" : "content_filter" }
                : null,
            ["instructions"] = null,
            ["max_output_tokens"] = null,
            ["model"] = model,
            ["output"] = output,
            ["parallel_tool_calls"] = true,
            ["previous_response_id"] = null,
            ["reasoning"] = new JsonObject { ["effort"] = null, ["summary"] = null },
            ["store"] = false,
            ["temperature"] = null,
            ["text"] = new JsonObject { ["format"] = new JsonObject { ["type"] = "text" } },
            ["tool_choice"] = "auto",
            ["tools"] = new JsonArray(),
            ["top_p"] = null,
            ["truncation"] = "disabled",
            ["usage"] = usage is null ? null : UsageJson(usage),
            ["user"] = null,
            ["metadata"] = new JsonObject(),
        };
        if (echo is not null)
        {
            foreach (var (field, value) in echo) response[field] = value?.DeepClone();
        }
        return response;
    }

    internal static JsonObject UsageJson(Usage u) => new()
    {
        ["input_tokens"] = u.InputTokens,
        ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = u.CachedInputTokens },
        ["output_tokens"] = u.OutputTokens,
        ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = u.ReasoningTokens },
        ["total_tokens"] = u.InputTokens + u.OutputTokens,
    };

    internal static JsonObject OutputText(string text) => new()
    {
        ["type"] = "output_text",
        ["text"] = text,
        ["annotations"] = new JsonArray(),
        ["logprobs"] = new JsonArray(),
    };

    internal static JsonObject MessageItem(string id, string? text) => new()
    {
        ["id"] = id,
        ["type"] = "message",
        ["status"] = text is null ? "in_progress" : "completed",
        ["role"] = "assistant",
        ["content"] = text is null ? new JsonArray() : new JsonArray(OutputText(text)),
    };

    internal static JsonObject ReasoningItem(string id, string? text) => new()
    {
        ["id"] = id,
        ["type"] = "reasoning",
        ["summary"] = text is null ? new JsonArray() : new JsonArray(new JsonObject { ["type"] = "summary_text", ["text"] = text }),
    };

    internal static JsonObject FunctionCallItem(string id, string callId, string name, string arguments, string status) => new()
    {
        ["id"] = id,
        ["type"] = "function_call",
        ["status"] = status,
        ["call_id"] = callId,
        ["name"] = name,
        ["arguments"] = arguments,
    };

    public IClientStreamWriter CreateStreamWriter(string responseId, string publicModel) =>
        new OpenAIResponsesStreamWriter(Ids.Ensure("resp_", responseId), publicModel, null);

    public IClientStreamWriter CreateStreamWriter(string responseId, string publicModel, ChatRequest request) =>
        new OpenAIResponsesStreamWriter(Ids.Ensure("resp_", responseId), publicModel, request);
}

/// <summary>
/// Responses streaming grammar: response.created, response.in_progress, then per output item output_item.added →
/// (content_part.added → output_text.delta… → output_text.done → content_part.done | function_call_arguments.delta… → .done |
/// reasoning_summary_part.added → reasoning_summary_text.delta… → .done | custom_tool_call_input.delta → .done) →
/// output_item.done, and finally response.completed (or response.incomplete). Every event carries <c>type</c> and an
/// increasing <c>sequence_number</c>. A freeform tool's call arrives from a translated upstream as JSON arguments
/// (<c>{"input": …}</c>): it is held until the call ends and its raw input written as one delta.
/// </summary>
internal sealed class OpenAIResponsesStreamWriter(string id, string model, ChatRequest? request) : IClientStreamWriter
{
    private enum ItemKind { Message, Reasoning, FunctionCall, CustomToolCall }

    private readonly Dictionary<string, ClientToolName> _clientNames = ResponsesTools.ClientNames(request);

    private sealed class Item(ItemKind kind, string id, int outputIndex)
    {
        public ItemKind Kind { get; } = kind;
        public string Id { get; } = id;
        public int OutputIndex { get; } = outputIndex;
        public StringBuilder Text { get; } = new();
        public string CallId { get; init; } = "";
        public string Name { get; init; } = "";
        public ClientToolName? Client { get; init; }
        public bool Done { get; set; }
    }

    private readonly long _created = Ids.UnixNow();
    private readonly List<Item> _items = [];
    private readonly Dictionary<int, Item> _tools = [];
    private Item? _current;
    private long _sequence;
    private bool _started;
    private bool _closed;
    private FinishReason? _finish;

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
                var item = Open(ItemKind.Message, output);
                item.Text.Append(t.Text);
                var json = Begin(output, "response.output_text.delta");
                json.WriteString("item_id", item.Id);
                json.WriteNumber("output_index", item.OutputIndex);
                json.WriteNumber("content_index", 0);
                json.WriteString("delta", t.Text);
                json.WriteStartArray("logprobs");
                json.WriteEndArray();
                End(json, output);
                break;
            }
            case ReasoningDelta { Text.Length: > 0 } r:
            {
                var item = Open(ItemKind.Reasoning, output);
                item.Text.Append(r.Text);
                var json = Begin(output, "response.reasoning_summary_text.delta");
                json.WriteString("item_id", item.Id);
                json.WriteNumber("output_index", item.OutputIndex);
                json.WriteNumber("summary_index", 0);
                json.WriteString("delta", r.Text);
                End(json, output);
                break;
            }
            case ToolCallStart s:
            {
                EnsureStarted(output);
                CloseCurrent(output);
                var client = _clientNames.GetValueOrDefault(s.Name);
                var freeform = client is { Freeform: true };
                var item = new Item(freeform ? ItemKind.CustomToolCall : ItemKind.FunctionCall, Ids.New(freeform ? "ctc_" : "fc_"), _items.Count)
                {
                    CallId = s.Id,
                    Name = s.Name,
                    Client = client,
                };
                _items.Add(item);
                _tools[s.Index] = item;
                _current = item;
                WriteItemEvent("response.output_item.added", item, output);
                break;
            }
            case ToolCallDelta { ArgumentsFragment.Length: > 0 } d when _tools.TryGetValue(d.Index, out var tool):
            {
                tool.Text.Append(d.ArgumentsFragment);
                if (tool.Kind == ItemKind.CustomToolCall) break; // written whole when the call ends
                var json = Begin(output, "response.function_call_arguments.delta");
                json.WriteString("item_id", tool.Id);
                json.WriteNumber("output_index", tool.OutputIndex);
                json.WriteString("delta", d.ArgumentsFragment);
                End(json, output);
                break;
            }
            case StreamFinish f:
                _finish = f.Reason;
                break;
            case StreamFailure failure:
                WriteError("upstream_error", failure.Message, output);
                break;
        }
    }

    public void Complete(Usage? usage, IBufferWriter<byte> output)
    {
        if (_closed) return;
        EnsureStarted(output);
        CloseCurrent(output);
        var finish = _finish ?? FinishReason.Stop;
        var items = new JsonArray();
        foreach (var item in _items) items.Add(ItemJson(item));
        var response = OpenAIResponsesFormat.ResponseObject(id, model, _created, finish, items, usage, final: true, request?.Echo);
        var type = (string)response["status"]! == "incomplete" ? "response.incomplete" : "response.completed";
        var json = Begin(output, type);
        json.WritePropertyName("response");
        response.WriteTo(json);
        End(json, output);
        _closed = true;
    }

    public void WriteError(string errorType, string message, IBufferWriter<byte> output)
    {
        if (_closed) return;
        var json = Begin(output, "error");
        json.WriteString("code", errorType);
        json.WriteString("message", message);
        json.WriteNull("param");
        End(json, output);
        _closed = true;
    }

    private void EnsureStarted(IBufferWriter<byte> output)
    {
        if (_started) return;
        _started = true;
        foreach (var type in (ReadOnlySpan<string>)["response.created", "response.in_progress"])
        {
            var json = Begin(output, type);
            json.WritePropertyName("response");
            OpenAIResponsesFormat.ResponseObject(id, model, _created, null, [], null, final: false, request?.Echo).WriteTo(json);
            End(json, output);
        }
    }

    private Item Open(ItemKind kind, IBufferWriter<byte> output)
    {
        EnsureStarted(output);
        if (_current is { } current && current.Kind == kind && !current.Done) return current;
        CloseCurrent(output);
        var item = new Item(kind, Ids.New(kind == ItemKind.Message ? "msg_" : "rs_"), _items.Count);
        _items.Add(item);
        _current = item;
        WriteItemEvent("response.output_item.added", item, output);
        var json = Begin(output, kind == ItemKind.Message ? "response.content_part.added" : "response.reasoning_summary_part.added");
        WritePartRef(json, item);
        json.WritePropertyName("part");
        PartJson(item, "").WriteTo(json);
        End(json, output);
        return item;
    }

    private void CloseCurrent(IBufferWriter<byte> output)
    {
        if (_current is not { Done: false } item) return;
        item.Done = true;
        _current = null;
        var text = item.Text.ToString();
        switch (item.Kind)
        {
            case ItemKind.Message or ItemKind.Reasoning:
            {
                var message = item.Kind == ItemKind.Message;
                var json = Begin(output, message ? "response.output_text.done" : "response.reasoning_summary_text.done");
                WritePartRef(json, item);
                json.WriteString("text", text);
                if (message)
                {
                    json.WriteStartArray("logprobs");
                    json.WriteEndArray();
                }
                End(json, output);
                json = Begin(output, message ? "response.content_part.done" : "response.reasoning_summary_part.done");
                WritePartRef(json, item);
                json.WritePropertyName("part");
                PartJson(item, text).WriteTo(json);
                End(json, output);
                break;
            }
            case ItemKind.FunctionCall:
            {
                var json = Begin(output, "response.function_call_arguments.done");
                json.WriteString("item_id", item.Id);
                json.WriteNumber("output_index", item.OutputIndex);
                json.WriteString("name", item.Client?.Name ?? item.Name);
                json.WriteString("arguments", text);
                End(json, output);
                break;
            }
            case ItemKind.CustomToolCall:
            {
                var input = ResponsesTools.UnwrapInput(text);
                var json = Begin(output, "response.custom_tool_call_input.delta");
                json.WriteString("item_id", item.Id);
                json.WriteNumber("output_index", item.OutputIndex);
                json.WriteString("delta", input);
                End(json, output);
                json = Begin(output, "response.custom_tool_call_input.done");
                json.WriteString("item_id", item.Id);
                json.WriteNumber("output_index", item.OutputIndex);
                json.WriteString("input", input);
                End(json, output);
                break;
            }
        }
        WriteItemEvent("response.output_item.done", item, output);
    }

    private static void WritePartRef(Utf8JsonWriter json, Item item)
    {
        json.WriteString("item_id", item.Id);
        json.WriteNumber("output_index", item.OutputIndex);
        json.WriteNumber(item.Kind == ItemKind.Message ? "content_index" : "summary_index", 0);
    }

    private static JsonObject PartJson(Item item, string text) => item.Kind == ItemKind.Message
        ? OpenAIResponsesFormat.OutputText(text)
        : new JsonObject { ["type"] = "summary_text", ["text"] = text };

    private static JsonObject ItemJson(Item item) => item.Kind switch
    {
        ItemKind.Message => OpenAIResponsesFormat.MessageItem(item.Id, item.Done ? item.Text.ToString() : null),
        ItemKind.Reasoning => OpenAIResponsesFormat.ReasoningItem(item.Id, item.Done ? item.Text.ToString() : null),
        _ => OpenAIResponsesFormat.CallItem(item.CallId, item.Name, item.Text.ToString(), item.Client, item.Done, item.Id),
    };

    private void WriteItemEvent(string type, Item item, IBufferWriter<byte> output)
    {
        var json = Begin(output, type);
        json.WriteNumber("output_index", item.OutputIndex);
        json.WritePropertyName("item");
        ItemJson(item).WriteTo(json);
        End(json, output);
    }

    private Utf8JsonWriter Begin(IBufferWriter<byte> output, string type)
    {
        var json = SseWriter.Begin(output, type);
        json.WriteStartObject();
        json.WriteString("type", type);
        json.WriteNumber("sequence_number", _sequence++);
        return json;
    }

    private static void End(Utf8JsonWriter json, IBufferWriter<byte> output)
    {
        json.WriteEndObject();
        SseWriter.End(json, output);
    }
}
