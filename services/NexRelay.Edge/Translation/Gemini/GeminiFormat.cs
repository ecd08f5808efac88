using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Translation.Sse;
using static NexRelay.Edge.Translation.RequestReader;

namespace NexRelay.Edge.Translation.Gemini;

/// <summary>
/// Gemini <c>models/{model}:generateContent</c> and <c>:streamGenerateContent?alt=sse</c>: the model and streaming come from
/// the route. Field names are read in camelCase or snake_case (proto3 JSON accepts both). Usage: promptTokenCount includes
/// cached tokens and candidatesTokenCount excludes thoughts, so neutral output = candidates + thoughts.
/// </summary>
public sealed partial class GeminiFormat : IClientFormat
{
    public ClientFormat Format => ClientFormat.Gemini;
    public UpstreamKind? NativeUpstream => UpstreamKind.Gemini;
    public string WireName => "gemini";
    /// <summary>Gemini's <c>responseId</c> has no prefix of its own: the request id as it is.</summary>
    public string ResponseId(string requestId) => requestId;
    public void WriteError(Utf8JsonWriter json, EdgeError error) => GeminiVocabulary.WriteError(json, error);
    public string StreamErrorType(ErrorKind kind) => GeminiVocabulary.ErrorStatus(kind);
    public ITokenCountShape TokenCount => _tokenCount ??= new GeminiTokenCount(this);
    private ITokenCountShape? _tokenCount;
    public IModelListShape ModelList => GeminiModelList.Instance;

    public ChatRequest ParseRequest(JsonObject body, string? routeModel, bool? routeStream) =>
        Guard(() => Parse(body, routeModel, routeStream));

    private static ChatRequest Parse(JsonObject body, string? routeModel, bool? routeStream)
    {
        var model = routeModel ?? OptionalString(body, "model", "model")
            ?? throw new RequestValidationException("Missing required parameter: 'model'.", "model");
        if (model.StartsWith("models/", StringComparison.Ordinal)) model = model["models/".Length..];
        var request = new ChatRequest { Model = model, Stream = routeStream ?? false };
        RefuseUnpriced(body);
        var contents = Get(body, "contents") switch
        {
            null => throw new RequestValidationException("Missing required parameter: 'contents'.", "contents"),
            JsonArray a => a,
            _ => throw Invalid("contents", "an array"),
        };
        if (contents.Count == 0) throw new RequestValidationException("'contents' must not be empty.", "contents");

        if (Get(body, "systemInstruction", "system_instruction") is { } system)
        {
            var sys = AsObject(system, "systemInstruction");
            var parts = ReadParts(sys, "systemInstruction");
            for (var i = 0; i < parts.Count; i++)
            {
                if (parts[i] is not JsonObject p) continue;
                if (Get(p, "text") is { } text) request.System.Add(new TextPart(AsString(text, "systemInstruction.parts.text")));
                // Only text is read (and held for) here; media would be forwarded unheld on pass-through.
                if (Get(p, "inlineData", "inline_data") is not null || Get(p, "fileData", "file_data") is not null)
                {
                    throw Unpriced.Refuse($"systemInstruction.parts[{i}]", "media in systemInstruction", "move it into contents");
                }
            }
        }

        var pendingCalls = new List<ToolCallPart>();
        for (var i = 0; i < contents.Count; i++)
        {
            var content = AsObject(contents[i], $"contents[{i}]");
            var role = OptionalString(content, "role", $"contents[{i}].role") ?? "user";
            if (role is not ("user" or "model" or "function"))
            {
                throw new RequestValidationException($"Invalid value for 'contents[{i}].role': '{role}'. Please use a valid role: user, model.", $"contents[{i}].role");
            }
            var parts = ReadParts(content, $"contents[{i}]");
            for (var j = 0; j < parts.Count; j++)
            {
                ParsePart(AsObject(parts[j], $"contents[{i}].parts[{j}]"), $"contents[{i}].parts[{j}]", role == "model", request, pendingCalls);
            }
        }

        if (Get(body, "tools") is { } toolsNode)
        {
            var tools = toolsNode as JsonArray ?? throw Invalid("tools", "an array");
            for (var i = 0; i < tools.Count; i++)
            {
                var tool = AsObject(tools[i], $"tools[{i}]");
                foreach (var key in tool.Select(k => k.Key))
                {
                    if (key is not ("functionDeclarations" or "function_declarations"))
                    {
                        throw UnpricedTool(key, $"tools[{i}].{key}")
                              ?? new RequestValidationException($"Tool '{key}' is not supported; only functionDeclarations are.", $"tools[{i}].{key}");
                    }
                }
                if (Get(tool, "functionDeclarations", "function_declarations") is not JsonArray declarations) continue;
                for (var j = 0; j < declarations.Count; j++)
                {
                    var p = $"tools[{i}].functionDeclarations[{j}]";
                    var fn = AsObject(declarations[j], p);
                    var schema = Get(fn, "parametersJsonSchema", "parameters_json_schema")?.DeepClone()
                                 ?? (Get(fn, "parameters") is { } openApi ? NormalizeSchema(AsObject(openApi, $"{p}.parameters")) : null);
                    request.Tools.Add(new ToolDefinition(RequiredString(fn, "name", $"{p}.name"), OptionalString(fn, "description", $"{p}.description"), schema));
                }
            }
        }

        if (Get(body, "toolConfig", "tool_config") is { } toolConfig
            && Get(AsObject(toolConfig, "toolConfig"), "functionCallingConfig", "function_calling_config") is { } fcc)
        {
            var config = AsObject(fcc, "toolConfig.functionCallingConfig");
            var allowed = Get(config, "allowedFunctionNames", "allowed_function_names") as JsonArray;
            request.ToolChoice = (OptionalString(config, "mode", "toolConfig.functionCallingConfig.mode") ?? "AUTO").ToUpperInvariant() switch
            {
                "AUTO" or "MODE_UNSPECIFIED" => new ToolChoice(ToolChoiceKind.Auto),
                "NONE" => new ToolChoice(ToolChoiceKind.None),
                "ANY" or "VALIDATED" when allowed is { Count: 1 } => new ToolChoice(ToolChoiceKind.Tool, AsString(allowed[0]!, "toolConfig.functionCallingConfig.allowedFunctionNames[0]")),
                "ANY" => new ToolChoice(ToolChoiceKind.Required),
                "VALIDATED" => new ToolChoice(ToolChoiceKind.Auto),
                var other => throw new RequestValidationException($"Invalid value for 'toolConfig.functionCallingConfig.mode': '{other}'.", "toolConfig.functionCallingConfig.mode"),
            };
        }

        if (Get(body, "generationConfig", "generation_config") is { } gcNode)
        {
            var gc = AsObject(gcNode, "generationConfig");
            request.MaxOutputTokens = OptionalInt(gc, Key(gc, "maxOutputTokens", "max_output_tokens"), "generationConfig.maxOutputTokens", 1);
            request.Temperature = OptionalDouble(gc, "temperature", "generationConfig.temperature", 0, 2);
            request.TopP = OptionalDouble(gc, Key(gc, "topP", "top_p"), "generationConfig.topP", 0, 1);
            request.TopK = OptionalInt(gc, Key(gc, "topK", "top_k"), "generationConfig.topK", 1);
            if (OptionalInt(gc, Key(gc, "candidateCount", "candidate_count"), "generationConfig.candidateCount", 1) is > 1)
            {
                throw new RequestValidationException("Only candidateCount=1 is supported.", "generationConfig.candidateCount");
            }
            if (Get(gc, "stopSequences", "stop_sequences") is not null)
            {
                ReadStringOrArray(gc, Key(gc, "stopSequences", "stop_sequences"), "generationConfig.stopSequences", request.Stop);
            }
            var mime = OptionalString(gc, Key(gc, "responseMimeType", "response_mime_type"), "generationConfig.responseMimeType");
            var jsonSchema = Get(gc, "responseJsonSchema", "response_json_schema")?.DeepClone()
                             ?? (Get(gc, "responseSchema", "response_schema") is { } s ? NormalizeSchema(AsObject(s, "generationConfig.responseSchema")) : null);
            if (mime == "application/json")
            {
                request.ResponseFormat = jsonSchema is null
                    ? new ResponseFormat(ResponseFormatKind.JsonObject)
                    : new ResponseFormat(ResponseFormatKind.JsonSchema, "response", jsonSchema);
            }
            if (Get(gc, "thinkingConfig", "thinking_config") is { } tcNode)
            {
                var tc = AsObject(tcNode, "generationConfig.thinkingConfig");
                var budget = OptionalInt(tc, Key(tc, "thinkingBudget", "thinking_budget"), "generationConfig.thinkingConfig.thinkingBudget", -1);
                var level = OptionalString(tc, Key(tc, "thinkingLevel", "thinking_level"), "generationConfig.thinkingConfig.thinkingLevel")?.ToLowerInvariant();
                if (budget is not null || level is not null) request.Reasoning = new ReasoningConfig(level, budget);
            }
        }
        return request;
    }

    private static string Key(JsonObject o, string camel, string snake) => o.ContainsKey(camel) || !o.ContainsKey(snake) ? camel : snake;

    private static JsonArray ReadParts(JsonObject content, string p) => Get(content, "parts") switch
    {
        JsonArray a => a,
        null => throw new RequestValidationException($"Missing required parameter: '{p}.parts'.", $"{p}.parts"),
        _ => throw Invalid($"{p}.parts", "an array"),
    };

    private static void ParsePart(JsonObject part, string p, bool model, ChatRequest request, List<ToolCallPart> pendingCalls)
    {
        RefuseUnpricedMedia(part, p);
        if (Get(part, "text") is { } textNode)
        {
            var text = AsString(textNode, $"{p}.text");
            if (OptionalBool(part, "thought", $"{p}.thought") == true)
            {
                Append(request, ChatRole.Assistant, new ReasoningPart(text, OptionalString(part, Key(part, "thoughtSignature", "thought_signature"), $"{p}.thoughtSignature")));
            }
            else
            {
                Append(request, model ? ChatRole.Assistant : ChatRole.User, new TextPart(text));
            }
        }
        else if (Get(part, "inlineData", "inline_data") is { } inline)
        {
            var o = AsObject(inline, $"{p}.inlineData");
            Append(request, ChatRole.User, new ImagePart(null,
                RequiredString(o, Key(o, "mimeType", "mime_type"), $"{p}.inlineData.mimeType"), RequiredString(o, "data", $"{p}.inlineData.data")));
        }
        else if (Get(part, "fileData", "file_data") is { } file)
        {
            var o = AsObject(file, $"{p}.fileData");
            var uri = RequiredString(o, Key(o, "fileUri", "file_uri"), $"{p}.fileData.fileUri");
            Append(request, ChatRole.User, new ImagePart(uri, OptionalString(o, Key(o, "mimeType", "mime_type"), $"{p}.fileData.mimeType"), null));
        }
        else if (Get(part, "functionCall", "function_call") is { } callNode)
        {
            var o = AsObject(callNode, $"{p}.functionCall");
            var name = RequiredString(o, "name", $"{p}.functionCall.name");
            var call = new ToolCallPart(OptionalString(o, "id", $"{p}.functionCall.id") ?? Ids.New("call_"), name, ToJson(Get(o, "args") ?? new JsonObject()));
            pendingCalls.Add(call);
            Append(request, ChatRole.Assistant, call);
        }
        else if (Get(part, "functionResponse", "function_response") is { } responseNode)
        {
            var o = AsObject(responseNode, $"{p}.functionResponse");
            var name = RequiredString(o, "name", $"{p}.functionResponse.name");
            // Gemini pairs results to calls by id when given, else by name in order: neutral results need the call's id.
            var id = OptionalString(o, "id", $"{p}.functionResponse.id");
            var match = pendingCalls.FirstOrDefault(c => id is not null ? c.Id == id : c.Name == name);
            if (match is not null) pendingCalls.Remove(match);
            // Multimodal function responses carry media parts beside the JSON response.
            var images = 0;
            if (OptionalArray(o, "parts", $"{p}.functionResponse.parts") is { } mediaParts)
            {
                for (var k = 0; k < mediaParts.Count; k++)
                {
                    var mediaPart = AsObject(mediaParts[k], $"{p}.functionResponse.parts[{k}]");
                    RefuseUnpricedMedia(mediaPart, $"{p}.functionResponse.parts[{k}]");
                    if (Get(mediaPart, "inlineData", "inline_data") is not null || Get(mediaPart, "fileData", "file_data") is not null) images++;
                }
            }
            Append(request, ChatRole.Tool, new ToolResultPart(id ?? match?.Id ?? Ids.New("call_"), name, ToJson(Get(o, "response") ?? new JsonObject()), ImageCount: images));
        }
        else if (part.Count > 0 && !part.All(kv => kv.Key is "thought" or "thoughtSignature" or "thought_signature"))
        {
            throw new RequestValidationException($"Unsupported part: '{part.First().Key}'.", $"{p}.{part.First().Key}");
        }
    }

    private static void Append(ChatRequest request, ChatRole role, ContentPart part)
    {
        if (request.Messages.Count > 0 && request.Messages[^1].Role == role) request.Messages[^1].Parts.Add(part);
        else request.Messages.Add(new ChatMessage { Role = role, Parts = [part] });
    }

    /// <summary>Gemini's OpenAPI-style schemas spell types in upper case (OBJECT); JSON Schema consumers want lower case.</summary>
    internal static JsonNode NormalizeSchema(JsonObject schema)
    {
        var copy = schema.DeepClone();
        Lower(copy);
        return copy;

        static void Lower(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (key, value) in o.ToList())
                    {
                        if (key == "type" && Lenient.Str(value) is { } t) o[key] = t.ToLowerInvariant();
                        else if (key != "enum" && key != "required") Lower(value);
                    }
                    break;
                case JsonArray a:
                    foreach (var item in a) Lower(item);
                    break;
            }
        }
    }

    public void ApplyPassthroughEdits(JsonObject body, string upstreamModel, int maxOutputTokens, bool stream)
    {
        // The model travels in the path; only the output limit changes in the body.
        var key = body.ContainsKey("generationConfig") || !body.ContainsKey("generation_config") ? "generationConfig" : "generation_config";
        if (body[key] is not JsonObject gc)
        {
            gc = [];
            body[key] = gc;
        }
        gc.Remove("max_output_tokens");
        gc["maxOutputTokens"] = maxOutputTokens;
    }

    public JsonObject WriteResponse(ChatResponse response, string publicModel)
    {
        var parts = new JsonArray();
        foreach (var part in response.Output)
        {
            if (PartJson(part) is { } json) parts.Add(json);
        }
        var result = new JsonObject
        {
            ["candidates"] = new JsonArray(new JsonObject
            {
                ["content"] = new JsonObject { ["role"] = "model", ["parts"] = parts },
                ["finishReason"] = GeminiVocabulary.FinishReasonName(response.FinishReason),
                ["index"] = 0,
            }),
        };
        if (response.Usage is { } usage) result["usageMetadata"] = GeminiVocabulary.UsageJson(usage);
        result["modelVersion"] = publicModel;
        result["responseId"] = response.Id;
        return result;
    }

    internal static JsonObject? PartJson(ContentPart part) => part switch
    {
        TextPart t => new JsonObject { ["text"] = t.Text },
        ReasoningPart r => GeminiVocabulary.ThoughtPart(r.Text, r.Signature),
        ToolCallPart c => new JsonObject
        {
            ["functionCall"] = new JsonObject { ["id"] = c.Id, ["name"] = c.Name, ["args"] = ToolArguments.AsObject(c.ArgumentsJson) },
        },
        _ => null,
    };

    public IClientStreamWriter CreateStreamWriter(string responseId, string publicModel) => new GeminiStreamWriter(responseId, publicModel);
}

/// <summary>
/// streamGenerateContent?alt=sse grammar: every event is a whole GenerateContentResponse (<c>data: {candidates…}</c>).
/// Gemini sends function calls whole, so tool-call fragments are buffered and written as one part when the call ends;
/// the last chunk carries finishReason and usageMetadata.
/// </summary>
internal sealed class GeminiStreamWriter(string id, string model) : IClientStreamWriter
{
    private readonly SortedDictionary<int, (string Id, string Name, System.Text.StringBuilder Args)> _calls = [];
    private FinishReason? _finish;
    private bool _closed;
    private bool _sawCalls;

    public void Write(StreamEvent streamEvent, IBufferWriter<byte> output)
    {
        if (_closed) return;
        switch (streamEvent)
        {
            case TextDelta { Text.Length: > 0 } t:
                FlushCalls(output);
                WriteChunk(output, new JsonObject { ["text"] = t.Text }, null, null);
                break;
            case ReasoningDelta r when r.Text.Length > 0 || r.Signature is not null:
                FlushCalls(output);
                WriteChunk(output, GeminiVocabulary.ThoughtPart(r.Text, r.Signature), null, null);
                break;
            case ToolCallStart s:
                _calls[s.Index] = (s.Id, s.Name, new System.Text.StringBuilder());
                _sawCalls = true;
                break;
            case ToolCallDelta d when _calls.TryGetValue(d.Index, out var call):
                call.Args.Append(d.ArgumentsFragment);
                break;
            case StreamFinish f:
                _finish = f.Reason;
                break;
            case StreamFailure failure:
                WriteError("INTERNAL", failure.Message, output);
                break;
        }
    }

    public void Complete(Usage? usage, IBufferWriter<byte> output)
    {
        if (_closed) return;
        var parts = CallParts();
        var finish = _finish ?? (_sawCalls ? FinishReason.ToolCalls : FinishReason.Stop);
        WriteChunk(output, parts, GeminiVocabulary.FinishReasonName(finish), usage);
        _closed = true;
    }

    public void WriteError(string errorType, string message, IBufferWriter<byte> output)
    {
        if (_closed) return;
        var json = SseWriter.Begin(output, null);
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteNumber("code", 500);
        json.WriteString("message", message);
        json.WriteString("status", errorType);
        json.WriteEndObject();
        json.WriteEndObject();
        SseWriter.End(json, output);
        _closed = true;
    }

    private JsonArray CallParts()
    {
        var parts = new JsonArray();
        foreach (var (_, call) in _calls)
        {
            parts.Add(GeminiFormat.PartJson(new ToolCallPart(call.Id, call.Name, call.Args.ToString())));
        }
        _calls.Clear();
        return parts;
    }

    private void FlushCalls(IBufferWriter<byte> output)
    {
        if (_calls.Count > 0) WriteChunk(output, CallParts(), null, null);
    }

    private void WriteChunk(IBufferWriter<byte> output, JsonNode parts, string? finishReason, Usage? usage)
    {
        var json = SseWriter.Begin(output, null);
        json.WriteStartObject();
        json.WriteStartArray("candidates");
        json.WriteStartObject();
        json.WriteStartObject("content");
        json.WriteString("role", "model");
        json.WritePropertyName("parts");
        if (parts is JsonArray) parts.WriteTo(json);
        else
        {
            json.WriteStartArray();
            parts.WriteTo(json);
            json.WriteEndArray();
        }
        json.WriteEndObject();
        if (finishReason is not null) json.WriteString("finishReason", finishReason);
        json.WriteNumber("index", 0);
        json.WriteEndObject();
        json.WriteEndArray();
        if (usage is not null)
        {
            json.WritePropertyName("usageMetadata");
            GeminiVocabulary.UsageJson(usage).WriteTo(json);
        }
        json.WriteString("modelVersion", model);
        json.WriteString("responseId", id);
        json.WriteEndObject();
        SseWriter.End(json, output);
    }
}
