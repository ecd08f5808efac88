using System.Text.Json;
using System.Text.Json.Nodes;

namespace NexRelay.Edge.Translation.Gemini;

/// <summary>
/// A Gemini upstream (base URL ending in <c>/v1beta/</c>). Schemas are sent as <c>parametersJsonSchema</c> /
/// <c>responseJsonSchema</c>, which take standard JSON Schema as OpenAI and Anthropic clients write it (the older
/// <c>parameters</c>/<c>responseSchema</c> reject keywords such as additionalProperties).
/// </summary>
public sealed class GeminiUpstream : IUpstreamFormat
{
    public UpstreamKind Kind => UpstreamKind.Gemini;

    public string PassthroughPath(string upstreamModel, bool stream)
    {
        var model = Uri.EscapeDataString(upstreamModel.StartsWith("models/", StringComparison.Ordinal) ? upstreamModel[7..] : upstreamModel);
        return stream ? $"models/{model}:streamGenerateContent?alt=sse" : $"models/{model}:generateContent";
    }

    public UpstreamHttpRequest BuildRequest(ChatRequest request, string upstreamModel, int maxOutputTokens, bool stream)
    {
        var body = new JsonObject();
        var contents = new JsonArray();
        var callNames = new Dictionary<string, string>(StringComparer.Ordinal);
        var needsSignature = RequiresThoughtSignatures(upstreamModel);
        JsonArray? currentParts = null;
        string? currentRole = null;
        foreach (var m in request.Messages)
        {
            var role = m.Role == ChatRole.Assistant ? "model" : "user";
            var parts = new JsonArray();
            foreach (var part in m.Parts)
            {
                switch (part)
                {
                    case TextPart t:
                        parts.Add(new JsonObject { ["text"] = t.Text });
                        break;
                    case ImagePart { Base64Data: not null } i:
                        parts.Add(new JsonObject { ["inlineData"] = new JsonObject { ["mimeType"] = i.MediaType ?? "image/png", ["data"] = i.Base64Data } });
                        break;
                    case ImagePart { Url: not null } i:
                        parts.Add(new JsonObject { ["fileData"] = new JsonObject { ["mimeType"] = i.MediaType ?? ImageUrls.GuessMediaType(i.Url), ["fileUri"] = i.Url } });
                        break;
                    case ToolCallPart c:
                    {
                        callNames[c.Id] = c.Name;
                        // Ids are left out: the neutral ids may come from another vendor, and Gemini pairs calls and responses by order.
                        var call = new JsonObject { ["functionCall"] = new JsonObject { ["name"] = c.Name, ["args"] = ToolArguments.AsObject(c.ArgumentsJson) } };
                        // Gemini 3+ refuses replayed function calls without the (first) call's thought signature; a translated history
                        // has none, so send Google's documented sentinel that skips the check.
                        if (needsSignature && !parts.Any(p => p is JsonObject o && o.ContainsKey("functionCall"))) call["thoughtSignature"] = SkipSignature;
                        parts.Add(call);
                        break;
                    }
                    case ToolResultPart r:
                        parts.Add(new JsonObject
                        {
                            ["functionResponse"] = new JsonObject
                            {
                                ["name"] = r.Name ?? callNames.GetValueOrDefault(r.ToolCallId) ?? r.ToolCallId,
                                ["response"] = ResultObject(r),
                            },
                        });
                        break;
                    // Reasoning from another vendor cannot be replayed to Gemini.
                }
            }
            if (parts.Count == 0) continue;
            if (role == currentRole && currentParts is not null)
            {
                foreach (var p in parts.ToList())
                {
                    parts.Remove(p);
                    currentParts.Add(p);
                }
                continue;
            }
            currentParts = parts;
            currentRole = role;
            contents.Add(new JsonObject { ["role"] = role, ["parts"] = parts });
        }
        body["contents"] = contents;

        var system = request.System.OfType<TextPart>().Where(t => t.Text.Length > 0).Select(t => (JsonNode)new JsonObject { ["text"] = t.Text }).ToArray();
        if (system.Length > 0) body["systemInstruction"] = new JsonObject { ["parts"] = new JsonArray(system) };

        if (request.Tools.Count > 0)
        {
            var declarations = new JsonArray();
            foreach (var t in request.Tools)
            {
                var fn = new JsonObject { ["name"] = t.Name };
                if (t.Description is not null) fn["description"] = t.Description;
                if (t.ParametersSchema is not null) fn["parametersJsonSchema"] = t.ParametersSchema.DeepClone();
                declarations.Add(fn);
            }
            body["tools"] = new JsonArray(new JsonObject { ["functionDeclarations"] = declarations });
        }
        if (request.ToolChoice is { } choice)
        {
            var config = new JsonObject
            {
                ["mode"] = choice.Kind switch
                {
                    ToolChoiceKind.None => "NONE",
                    ToolChoiceKind.Required or ToolChoiceKind.Tool => "ANY",
                    _ => "AUTO",
                },
            };
            if (choice is { Kind: ToolChoiceKind.Tool, Name: { } name }) config["allowedFunctionNames"] = new JsonArray(name);
            if (request.Tools.Count > 0) body["toolConfig"] = new JsonObject { ["functionCallingConfig"] = config };
        }

        var gc = new JsonObject { ["maxOutputTokens"] = maxOutputTokens };
        if (request.Temperature is { } temperature) gc["temperature"] = temperature;
        if (request.TopP is { } topP) gc["topP"] = topP;
        if (request.TopK is { } topK) gc["topK"] = topK;
        if (request.Stop.Count > 0) gc["stopSequences"] = new JsonArray([.. request.Stop.Select(s => (JsonNode)s)]);
        switch (request.ResponseFormat)
        {
            case { Kind: ResponseFormatKind.JsonObject }:
                gc["responseMimeType"] = "application/json";
                break;
            case { Kind: ResponseFormatKind.JsonSchema } rf:
                gc["responseMimeType"] = "application/json";
                if (rf.Schema is not null) gc["responseJsonSchema"] = rf.Schema.DeepClone();
                break;
        }
        if (request.Reasoning is { } reasoning)
        {
            // A budget rather than thinkingLevel: every thinking Gemini model accepts a budget.
            var budget = reasoning.BudgetTokens ?? Reasoning.Budget(reasoning) ?? -1;
            var thinking = new JsonObject { ["thinkingBudget"] = budget };
            if (budget != 0) thinking["includeThoughts"] = true;
            gc["thinkingConfig"] = thinking;
        }
        body["generationConfig"] = gc;
        return new UpstreamHttpRequest(PassthroughPath(upstreamModel, stream), body);
    }

    internal const string SkipSignature = "skip_thought_signature_validator";

    /// <summary>Gemini 3 and later validate thought signatures on replayed function calls; 2.x do not.</summary>
    internal static bool RequiresThoughtSignatures(string model)
    {
        var name = model.StartsWith("models/", StringComparison.Ordinal) ? model[7..] : model;
        if (!name.StartsWith("gemini-", StringComparison.OrdinalIgnoreCase)) return false;
        var digits = name.AsSpan(7);
        var end = 0;
        while (end < digits.Length && char.IsAsciiDigit(digits[end])) end++;
        return end > 0 && int.TryParse(digits[..end], out var major) && major >= 3;
    }

    /// <summary>functionResponse.response must be an object: a JSON object result goes as is, anything else is wrapped.</summary>
    private static JsonObject ResultObject(ToolResultPart result)
    {
        try
        {
            if (JsonNode.Parse(result.Content) is JsonObject o) return o;
        }
        catch (JsonException)
        {
        }
        return new JsonObject { [result.IsError ? "error" : "result"] = result.Content };
    }

    public ChatResponse ParseResponse(JsonObject body)
    {
        var candidate = (body["candidates"] as JsonArray)?.FirstOrDefault() as JsonObject;
        var output = new List<ContentPart>();
        if (Lenient.Path(candidate, "content", "parts") is JsonArray parts)
        {
            foreach (var part in parts.OfType<JsonObject>())
            {
                ReadPart(part, output, null);
                if (ReadCall(part) is { } call) output.Add(call);
            }
        }
        var finish = GeminiVocabulary.FinishReasonOf(Lenient.Str(candidate?["finishReason"]), output.Any(p => p is ToolCallPart));
        if (candidate is null && Lenient.Path(body, "promptFeedback", "blockReason") is not null) finish = FinishReason.ContentFilter;
        return new ChatResponse
        {
            Id = Lenient.Str(body["responseId"]) ?? Ids.New("gen_"),
            Model = Lenient.Str(body["modelVersion"]) ?? "",
            Output = output,
            FinishReason = finish,
            Usage = GeminiVocabulary.ReadUsage(body["usageMetadata"]),
        };
    }

    internal static void ReadPart(JsonObject part, List<ContentPart>? output, List<StreamEvent>? events)
    {
        if (Lenient.Str(part["text"]) is { } text)
        {
            if (Lenient.Bool(part["thought"]))
            {
                var signature = Lenient.Str(part["thoughtSignature"]);
                output?.Add(new ReasoningPart(text, signature));
                if (text.Length > 0 || signature is not null) events?.Add(new ReasoningDelta(text, signature));
            }
            else
            {
                output?.Add(new TextPart(text));
                if (text.Length > 0) events?.Add(new TextDelta(text));
            }
        }
    }

    internal static ToolCallPart? ReadCall(JsonObject part) => part["functionCall"] is JsonObject call
        ? new ToolCallPart(Lenient.Str(call["id"]) ?? Ids.New("call_"), Lenient.Str(call["name"]) ?? "", Lenient.Json(call["args"]))
        : null;

    public IUpstreamStreamParser CreateStreamParser() => new GeminiStreamParser();

    public string? ReadErrorMessage(JsonNode? body) => body switch
    {
        JsonObject o when o["error"] is JsonObject e => Lenient.Str(e["message"]),
        JsonArray { Count: > 0 } a => ReadErrorMessage(a[0]),
        _ => null,
    };
}

/// <summary>Each Gemini SSE event is a whole GenerateContentResponse; function calls arrive whole (start + one delta).</summary>
internal sealed class GeminiStreamParser : IUpstreamStreamParser
{
    private bool _started;
    private int _tools;

    public void Parse(string? eventName, ReadOnlySpan<byte> data, List<StreamEvent> output)
    {
        if (Lenient.Parse(data) is not { } chunk) return;
        if (chunk["error"] is JsonObject error)
        {
            output.Add(new StreamFailure(Lenient.Str(error["message"]) ?? "upstream error"));
            return;
        }
        if (!_started)
        {
            _started = true;
            output.Add(new StreamStart(Lenient.Str(chunk["responseId"]) ?? Ids.New("gen_"), Lenient.Str(chunk["modelVersion"]) ?? ""));
        }
        var candidate = (chunk["candidates"] as JsonArray)?.FirstOrDefault() as JsonObject;
        if (Lenient.Path(candidate, "content", "parts") is JsonArray parts)
        {
            foreach (var part in parts.OfType<JsonObject>())
            {
                GeminiUpstream.ReadPart(part, null, output);
                if (GeminiUpstream.ReadCall(part) is { } call)
                {
                    var index = _tools++;
                    output.Add(new ToolCallStart(index, call.Id, call.Name));
                    output.Add(new ToolCallDelta(index, call.ArgumentsJson));
                }
            }
        }
        if (Lenient.Str(candidate?["finishReason"]) is { } finish) output.Add(new StreamFinish(GeminiVocabulary.FinishReasonOf(finish, _tools > 0)));
        else if (candidate is null && Lenient.Path(chunk, "promptFeedback", "blockReason") is not null) output.Add(new StreamFinish(FinishReason.ContentFilter));
        if (GeminiVocabulary.ReadUsage(chunk["usageMetadata"]) is { } usage) output.Add(new UsageUpdate(usage));
    }
}
