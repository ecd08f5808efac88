using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Translation.Sse;
using static NexRelay.Edge.Translation.RequestReader;

namespace NexRelay.Edge.Translation.Anthropic;

/// <summary>
/// Anthropic Messages (<c>POST /v1/messages</c>). Usage: Anthropic's <c>input_tokens</c> excludes cache reads and cache
/// writes, the neutral input includes them, so input_tokens = input − cached on the way out (cache writes are not tracked
/// separately by the neutral model and are reported as plain input).
/// </summary>
public sealed partial class AnthropicFormat : IClientFormat
{
    public ClientFormat Format => ClientFormat.Anthropic;
    public UpstreamKind? NativeUpstream => UpstreamKind.Anthropic;
    public string WireName => "anthropic";
    public string ResponseId(string requestId) => Ids.ForRequest("msg_", requestId);
    public void WriteError(Utf8JsonWriter json, EdgeError error) => AnthropicVocabulary.WriteError(json, error);
    public string StreamErrorType(ErrorKind kind) => AnthropicVocabulary.ErrorType(kind);
    public ITokenCountShape TokenCount => _tokenCount ??= new AnthropicTokenCount(this);
    public IModelListShape ModelList => AnthropicModelList.Instance;
    /// <summary>Claude Code and the SDKs opt into beta features (context management, interleaved thinking …) with it.</summary>
    public IReadOnlyList<string> PassthroughHeaders { get; } = ["anthropic-beta"];
    private ITokenCountShape? _tokenCount;

    public ChatRequest ParseRequest(JsonObject body, string? routeModel, bool? routeStream) => Guard(() => Parse(body));

    private static ChatRequest Parse(JsonObject body)
    {
        var request = new ChatRequest { Model = RequiredString(body, "model", "model") };
        RefuseUnpriced(body);
        var messages = RequiredArray(body, "messages", "messages");
        if (messages.Count == 0) throw new RequestValidationException("messages: at least one message is required", "messages");
        request.MaxOutputTokens = OptionalInt(body, "max_tokens", "max_tokens", 1);
        if (Get(body, "system") is { } system) ParseSystem(system, "system", request);
        for (var i = 0; i < messages.Count; i++)
        {
            var m = AsObject(messages[i], $"messages[{i}]");
            var roleName = RequiredString(m, "role", $"messages[{i}].role");
            if (roleName == "system")
            {
                // Newer API versions accept system messages in the list; the neutral model keeps system text in one place.
                ParseSystem(Get(m, "content") ?? throw new RequestValidationException($"messages[{i}].content: Field required", $"messages[{i}].content"),
                    $"messages[{i}].content", request);
                continue;
            }
            var role = roleName switch
            {
                "user" => ChatRole.User,
                "assistant" => ChatRole.Assistant,
                var other => throw new RequestValidationException(
                    $"messages[{i}].role: Input should be 'user', 'assistant' or 'system' (got '{other}')", $"messages[{i}].role"),
            };
            ParseContent(Get(m, "content"), $"messages[{i}].content", role, request);
        }
        if (OptionalArray(body, "tools", "tools") is { } tools)
        {
            for (var i = 0; i < tools.Count; i++)
            {
                var tool = AsObject(tools[i], $"tools[{i}]");
                var type = OptionalString(tool, "type", $"tools[{i}].type") ?? "custom";
                if (type != "custom")
                {
                    throw UnpricedTool(type, $"tools[{i}].type")
                          ?? new RequestValidationException($"tools[{i}].type: server tool '{type}' is not supported; only custom tools are", $"tools[{i}].type");
                }
                request.Tools.Add(new ToolDefinition(
                    RequiredString(tool, "name", $"tools[{i}].name"),
                    OptionalString(tool, "description", $"tools[{i}].description"),
                    (OptionalObject(tool, "input_schema", $"tools[{i}].input_schema")
                     ?? throw new RequestValidationException($"tools[{i}].input_schema: Field required", $"tools[{i}].input_schema")).DeepClone()));
            }
        }
        if (OptionalObject(body, "tool_choice", "tool_choice") is { } choice)
        {
            request.ToolChoice = RequiredString(choice, "type", "tool_choice.type") switch
            {
                "auto" => new ToolChoice(ToolChoiceKind.Auto),
                "any" => new ToolChoice(ToolChoiceKind.Required),
                "none" => new ToolChoice(ToolChoiceKind.None),
                "tool" => new ToolChoice(ToolChoiceKind.Tool, RequiredString(choice, "name", "tool_choice.name")),
                var other => throw new RequestValidationException($"tool_choice.type: unknown value '{other}'", "tool_choice.type"),
            };
            if (OptionalBool(choice, "disable_parallel_tool_use", "tool_choice.disable_parallel_tool_use") is { } disable)
            {
                request.ParallelToolCalls = !disable;
            }
        }
        request.Temperature = OptionalDouble(body, "temperature", "temperature", 0, 1);
        request.TopP = OptionalDouble(body, "top_p", "top_p", 0, 1);
        request.TopK = OptionalInt(body, "top_k", "top_k", 0);
        if (OptionalArray(body, "stop_sequences", "stop_sequences") is not null)
        {
            ReadStringOrArray(body, "stop_sequences", "stop_sequences", request.Stop);
        }
        if (OptionalObject(body, "thinking", "thinking") is { } thinking)
        {
            var type = RequiredString(thinking, "type", "thinking.type");
            if (type == "enabled")
            {
                var budget = OptionalInt(thinking, "budget_tokens", "thinking.budget_tokens", 1024)
                    ?? throw new RequestValidationException("thinking.budget_tokens: Field required", "thinking.budget_tokens");
                request.Reasoning = new ReasoningConfig(null, budget);
            }
            else if (type != "disabled" && type != "adaptive")
            {
                throw new RequestValidationException($"thinking.type: unknown value '{type}'", "thinking.type");
            }
        }
        // Structured outputs (output_format / output_config.format) map onto the neutral JSON schema format.
        var outputFormat = OptionalObject(body, "output_format", "output_format")
                           ?? (OptionalObject(body, "output_config", "output_config") is { } config
                               ? OptionalObject(config, "format", "output_config.format") : null);
        if (outputFormat is not null && OptionalString(outputFormat, "type", "output_format.type") == "json_schema")
        {
            request.ResponseFormat = new ResponseFormat(ResponseFormatKind.JsonSchema, "response",
                OptionalObject(outputFormat, "schema", "output_format.schema")?.DeepClone(), true);
        }
        request.Stream = OptionalBool(body, "stream", "stream") ?? false;
        if (OptionalObject(body, "metadata", "metadata") is { } metadata)
        {
            request.User = OptionalString(metadata, "user_id", "metadata.user_id");
        }
        return request;
    }

    private static void ParseSystem(JsonNode system, string p, ChatRequest request)
    {
        if (system is not JsonArray blocks)
        {
            request.System.Add(new TextPart(AsString(system, p)));
            return;
        }
        for (var i = 0; i < blocks.Count; i++)
        {
            var block = AsObject(blocks[i], $"{p}[{i}]");
            var type = RequiredString(block, "type", $"{p}[{i}].type");
            if (type != "text") throw new RequestValidationException($"{p}[{i}].type: only text blocks are allowed", $"{p}[{i}].type");
            request.System.Add(new TextPart(RequiredString(block, "text", $"{p}[{i}].text")));
        }
    }

    /// <summary>tool_result blocks become a Tool message of their own; everything else stays with the message's role.</summary>
    private static void ParseContent(JsonNode? content, string p, ChatRole role, ChatRequest request)
    {
        if (content is null) throw new RequestValidationException($"{p}: Field required", p);
        if (content is not JsonArray blocks)
        {
            Append(request, role, new TextPart(AsString(content, p)));
            return;
        }
        for (var i = 0; i < blocks.Count; i++)
        {
            var block = AsObject(blocks[i], $"{p}[{i}]");
            var bp = $"{p}[{i}]";
            var type = RequiredString(block, "type", $"{bp}.type");
            switch (type)
            {
                case "text":
                    Append(request, role, new TextPart(RequiredString(block, "text", $"{bp}.text")));
                    break;
                case "image" when role == ChatRole.User:
                    Append(request, role, ParseImage(block, bp));
                    break;
                case "tool_use" when role == ChatRole.Assistant:
                    Append(request, role, new ToolCallPart(
                        RequiredString(block, "id", $"{bp}.id"),
                        RequiredString(block, "name", $"{bp}.name"),
                        ToJson(OptionalObject(block, "input", $"{bp}.input") ?? [])));
                    break;
                case "tool_result" when role == ChatRole.User:
                {
                    var id = RequiredString(block, "tool_use_id", $"{bp}.tool_use_id");
                    var result = Get(block, "content");
                    RefuseUnpricedToolResult(result, $"{bp}.content");
                    var text = result switch
                    {
                        null => "",
                        JsonArray inner => string.Concat(inner.OfType<JsonObject>()
                            .Where(b => Lenient.Str(b["type"]) == "text").Select(b => Lenient.Str(b["text"]))),
                        var node => AsString(node, $"{bp}.content"),
                    };
                    Append(request, ChatRole.Tool, new ToolResultPart(id, FindToolName(request, id), text,
                        OptionalBool(block, "is_error", $"{bp}.is_error") ?? false,
                        result is JsonArray blocksInResult ? blocksInResult.OfType<JsonObject>().Count(b => Lenient.Str(b["type"]) == "image") : 0));
                    break;
                }
                case "thinking" when role == ChatRole.Assistant:
                    Append(request, role, new ReasoningPart(
                        RequiredString(block, "thinking", $"{bp}.thinking"), OptionalString(block, "signature", $"{bp}.signature")));
                    break;
                case "redacted_thinking" when role == ChatRole.Assistant:
                    break; // opaque to every other upstream
                default:
                    throw UnpricedBlock(type, $"{bp}.type")
                          ?? new RequestValidationException($"{bp}.type: content block type '{type}' is not supported in a {role.ToString().ToLowerInvariant()} message", $"{bp}.type");
            }
        }
    }

    private static ImagePart ParseImage(JsonObject block, string bp)
    {
        var source = OptionalObject(block, "source", $"{bp}.source")
            ?? throw new RequestValidationException($"{bp}.source: Field required", $"{bp}.source");
        return RequiredString(source, "type", $"{bp}.source.type") switch
        {
            "base64" => new ImagePart(null, RequiredString(source, "media_type", $"{bp}.source.media_type"),
                RequiredString(source, "data", $"{bp}.source.data")),
            "url" => new ImagePart(RequiredString(source, "url", $"{bp}.source.url"), null, null),
            var other => throw new RequestValidationException($"{bp}.source.type: '{other}' is not supported", $"{bp}.source.type"),
        };
    }

    private static string? FindToolName(ChatRequest request, string id)
    {
        for (var i = request.Messages.Count - 1; i >= 0; i--)
        {
            foreach (var part in request.Messages[i].Parts)
            {
                if (part is ToolCallPart call && call.Id == id) return call.Name;
            }
        }
        return null;
    }

    private static void Append(ChatRequest request, ChatRole role, ContentPart part)
    {
        if (request.Messages.Count > 0 && request.Messages[^1].Role == role) request.Messages[^1].Parts.Add(part);
        else request.Messages.Add(new ChatMessage { Role = role, Parts = [part] });
    }

    public void ApplyPassthroughEdits(JsonObject body, string upstreamModel, int maxOutputTokens, bool stream)
    {
        body["model"] = upstreamModel;
        body["max_tokens"] = maxOutputTokens;
    }

    public JsonObject WriteResponse(ChatResponse response, string publicModel)
    {
        var content = new JsonArray();
        foreach (var part in response.Output)
        {
            switch (part)
            {
                case TextPart t:
                    content.Add(new JsonObject { ["type"] = "text", ["text"] = t.Text, ["citations"] = null });
                    break;
                case ReasoningPart r:
                    content.Add(new JsonObject { ["type"] = "thinking", ["thinking"] = r.Text, ["signature"] = r.Signature ?? "" });
                    break;
                case ToolCallPart c:
                    content.Add(new JsonObject
                    {
                        ["type"] = "tool_use", ["id"] = c.Id, ["name"] = c.Name, ["input"] = ToolArguments.AsObject(c.ArgumentsJson), ["caller"] = DirectCaller(),
                    });
                    break;
            }
        }
        return new JsonObject
        {
            ["id"] = Ids.Ensure("msg_", response.Id),
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = publicModel,
            ["content"] = content,
            ["stop_reason"] = AnthropicVocabulary.StopReason(response.FinishReason),
            ["stop_sequence"] = null,
            ["usage"] = AnthropicVocabulary.UsageJson(response.Usage ?? new Usage(), includeInput: true),
        };
    }

    /// <summary>Current Messages responses say who called a tool; a translated call is always the model's own.</summary>
    internal static JsonObject DirectCaller() => new() { ["type"] = "direct" };

    public IClientStreamWriter CreateStreamWriter(string responseId, string publicModel) =>
        new AnthropicStreamWriter(Ids.Ensure("msg_", responseId), publicModel);
}

/// <summary>
/// Messages streaming grammar: message_start, then per block content_block_start → content_block_delta… → content_block_stop,
/// message_delta (stop_reason, usage), message_stop. message_start is held back until the first content so that usage an
/// upstream reports up front (Anthropic's own message_start) is in it.
/// </summary>
internal sealed class AnthropicStreamWriter(string id, string model) : IClientStreamWriter
{
    private enum BlockKind { None, Text, Thinking, ToolUse }

    private bool _started;
    private bool _closed;
    private BlockKind _open;
    private int _blockIndex = -1;
    private readonly Dictionary<int, int> _toolBlocks = [];
    private Usage? _usage;
    private FinishReason? _finish;

    public void Write(StreamEvent streamEvent, IBufferWriter<byte> output)
    {
        if (_closed) return;
        switch (streamEvent)
        {
            case UsageUpdate u:
                _usage = u.Usage;
                break;
            case TextDelta { Text.Length: > 0 } t:
                OpenBlock(BlockKind.Text, output);
                WriteDelta(_blockIndex, "text_delta", "text", t.Text, output);
                break;
            case ReasoningDelta r:
                if (r.Text.Length == 0 && r.Signature is null) break;
                OpenBlock(BlockKind.Thinking, output);
                if (r.Text.Length > 0) WriteDelta(_blockIndex, "thinking_delta", "thinking", r.Text, output);
                if (r.Signature is not null) WriteDelta(_blockIndex, "signature_delta", "signature", r.Signature, output);
                break;
            case ToolCallStart s:
            {
                EnsureStarted(output);
                CloseBlock(output);
                _blockIndex++;
                _open = BlockKind.ToolUse;
                _toolBlocks[s.Index] = _blockIndex;
                var json = Begin(output, "content_block_start");
                json.WriteNumber("index", _blockIndex);
                json.WriteStartObject("content_block");
                json.WriteString("type", "tool_use");
                json.WriteString("id", s.Id);
                json.WriteString("name", s.Name);
                json.WriteStartObject("input");
                json.WriteEndObject();
                json.WriteStartObject("caller");
                json.WriteString("type", "direct");
                json.WriteEndObject();
                json.WriteEndObject();
                End(json, output);
                break;
            }
            case ToolCallDelta { ArgumentsFragment.Length: > 0 } d when _toolBlocks.TryGetValue(d.Index, out var block):
                WriteDelta(block, "input_json_delta", "partial_json", d.ArgumentsFragment, output);
                break;
            case StreamFinish f:
                _finish = f.Reason;
                break;
            case StreamFailure failure:
                WriteError("api_error", failure.Message, output);
                break;
        }
    }

    public void Complete(Usage? usage, IBufferWriter<byte> output)
    {
        if (_closed) return;
        usage ??= _usage;
        _usage = usage;
        EnsureStarted(output);
        CloseBlock(output);
        var json = Begin(output, "message_delta");
        json.WriteStartObject("delta");
        json.WriteString("stop_reason", AnthropicVocabulary.StopReason(_finish ?? (_toolBlocks.Count > 0 ? FinishReason.ToolCalls : FinishReason.Stop)));
        json.WriteNull("stop_sequence");
        json.WriteEndObject();
        json.WritePropertyName("usage");
        // Cumulative, as Anthropic's own message_delta: input figures too, since a translated upstream may only know them now.
        AnthropicVocabulary.UsageJson(usage ?? new Usage(), includeInput: usage is not null).WriteTo(json);
        End(json, output);
        json = Begin(output, "message_stop");
        End(json, output);
        _closed = true;
    }

    public void WriteError(string errorType, string message, IBufferWriter<byte> output)
    {
        if (_closed) return;
        var json = Begin(output, "error");
        json.WriteStartObject("error");
        json.WriteString("type", errorType);
        json.WriteString("message", message);
        json.WriteEndObject();
        End(json, output);
        _closed = true;
    }

    private void EnsureStarted(IBufferWriter<byte> output)
    {
        if (_started) return;
        _started = true;
        var json = Begin(output, "message_start");
        json.WritePropertyName("message");
        new JsonObject
        {
            ["id"] = id,
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = model,
            ["content"] = new JsonArray(),
            ["stop_reason"] = null,
            ["stop_sequence"] = null,
            ["usage"] = AnthropicVocabulary.UsageJson(_usage ?? new Usage(), includeInput: true),
        }.WriteTo(json);
        End(json, output);
    }

    private void OpenBlock(BlockKind kind, IBufferWriter<byte> output)
    {
        EnsureStarted(output);
        if (_open == kind && kind != BlockKind.ToolUse) return;
        CloseBlock(output);
        _blockIndex++;
        _open = kind;
        var json = Begin(output, "content_block_start");
        json.WriteNumber("index", _blockIndex);
        json.WriteStartObject("content_block");
        if (kind == BlockKind.Text)
        {
            json.WriteString("type", "text");
            json.WriteString("text", "");
            json.WriteNull("citations");
        }
        else
        {
            json.WriteString("type", "thinking");
            json.WriteString("thinking", "");
            json.WriteString("signature", "");
        }
        json.WriteEndObject();
        End(json, output);
    }

    private void CloseBlock(IBufferWriter<byte> output)
    {
        if (_open == BlockKind.None) return;
        _open = BlockKind.None;
        var json = Begin(output, "content_block_stop");
        json.WriteNumber("index", _blockIndex);
        End(json, output);
    }

    private static void WriteDelta(int index, string type, string field, string value, IBufferWriter<byte> output)
    {
        var json = Begin(output, "content_block_delta");
        json.WriteNumber("index", index);
        json.WriteStartObject("delta");
        json.WriteString("type", type);
        json.WriteString(field, value);
        json.WriteEndObject();
        End(json, output);
    }

    private static Utf8JsonWriter Begin(IBufferWriter<byte> output, string type)
    {
        var json = SseWriter.Begin(output, type);
        json.WriteStartObject();
        json.WriteString("type", type);
        return json;
    }

    private static void End(Utf8JsonWriter json, IBufferWriter<byte> output)
    {
        json.WriteEndObject();
        SseWriter.End(json, output);
    }
}
