using System.Text.Json;
using System.Text.Json.Nodes;
using static NexRelay.Edge.Translation.Lenient;

namespace NexRelay.Edge.Translation.Anthropic;

/// <summary>
/// An Anthropic Messages upstream (base URL ending in <c>/v1/</c>). Anthropic has no JSON mode: a JSON response format is
/// asked for, best effort, with a system instruction carrying the schema. Thinking is dropped when the request forces a tool
/// (Anthropic refuses the combination) or the output limit leaves no room for the 1024-token minimum budget.
/// </summary>
public sealed class AnthropicUpstream : IUpstreamFormat
{
    private const int MinThinkingBudget = 1024;

    public UpstreamKind Kind => UpstreamKind.Anthropic;

    public string PassthroughPath(string upstreamModel, bool stream) => "messages";

    public UpstreamHttpRequest BuildRequest(ChatRequest request, string upstreamModel, int maxOutputTokens, bool stream)
    {
        var body = new JsonObject { ["model"] = upstreamModel, ["max_tokens"] = maxOutputTokens };

        var system = new JsonArray();
        foreach (var text in request.System.OfType<TextPart>())
        {
            if (text.Text.Length > 0) system.Add(new JsonObject { ["type"] = "text", ["text"] = text.Text });
        }
        if (JsonInstruction(request.ResponseFormat) is { } instruction) system.Add(new JsonObject { ["type"] = "text", ["text"] = instruction });
        if (system.Count > 0) body["system"] = system;

        var messages = new JsonArray();
        JsonArray? current = null;
        string? currentRole = null;
        foreach (var m in request.Messages)
        {
            var role = m.Role == ChatRole.Assistant ? "assistant" : "user";
            var blocks = new JsonArray();
            foreach (var part in MergeReasoning(m.Parts)) AddBlock(part, blocks);
            if (blocks.Count == 0) continue;
            // Anthropic wants alternating roles: consecutive same-role messages (a tool result then user text) merge.
            if (role == currentRole && current is not null)
            {
                foreach (var b in blocks.ToList())
                {
                    blocks.Remove(b);
                    current.Add(b);
                }
                continue;
            }
            current = blocks;
            currentRole = role;
            messages.Add(new JsonObject { ["role"] = role, ["content"] = blocks });
        }
        body["messages"] = messages;

        var thinkingBudget = Reasoning.Budget(request.Reasoning);
        var forcedTool = request.ToolChoice?.Kind is ToolChoiceKind.Required or ToolChoiceKind.Tool;
        var thinking = thinkingBudget is > 0 && !forcedTool && maxOutputTokens > MinThinkingBudget;
        if (request.Tools.Count > 0)
        {
            var tools = new JsonArray();
            foreach (var t in request.Tools)
            {
                var tool = new JsonObject { ["name"] = t.Name };
                if (t.Description is not null) tool["description"] = t.Description;
                tool["input_schema"] = t.ParametersSchema?.DeepClone() ?? new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() };
                tools.Add(tool);
            }
            body["tools"] = tools;
            var choice = request.ToolChoice?.Kind switch
            {
                ToolChoiceKind.None => new JsonObject { ["type"] = "none" },
                ToolChoiceKind.Required => new JsonObject { ["type"] = "any" },
                ToolChoiceKind.Tool => new JsonObject { ["type"] = "tool", ["name"] = request.ToolChoice.Name },
                ToolChoiceKind.Auto => new JsonObject { ["type"] = "auto" },
                _ => request.ParallelToolCalls == false ? new JsonObject { ["type"] = "auto" } : null,
            };
            if (choice is not null)
            {
                if (request.ParallelToolCalls == false && choice["type"]!.GetValue<string>() != "none") choice["disable_parallel_tool_use"] = true;
                body["tool_choice"] = choice;
            }
        }
        if (thinking)
        {
            body["thinking"] = new JsonObject { ["type"] = "enabled", ["budget_tokens"] = Math.Clamp(thinkingBudget!.Value, MinThinkingBudget, maxOutputTokens - 1) };
        }
        else
        {
            // Anthropic's range is 0..1; OpenAI's is 0..2. Thinking forbids sampling changes altogether.
            if (request.Temperature is { } temperature) body["temperature"] = Math.Min(temperature, 1.0);
            if (request.TopP is { } topP) body["top_p"] = topP;
            if (request.TopK is { } topK) body["top_k"] = topK;
        }
        if (request.Stop.Count > 0) body["stop_sequences"] = new JsonArray([.. request.Stop.Select(s => (JsonNode)s)]);
        if (request.User is not null) body["metadata"] = new JsonObject { ["user_id"] = request.User };
        if (stream) body["stream"] = true;
        return new UpstreamHttpRequest("messages", body);
    }

    private static string? JsonInstruction(ResponseFormat? format) => format switch
    {
        { Kind: ResponseFormatKind.JsonObject } => "Respond with a single valid JSON object and nothing else: no prose, no code fences.",
        { Kind: ResponseFormatKind.JsonSchema, Schema: { } schema } =>
            "Respond with a single valid JSON value that conforms to this JSON Schema, and nothing else: no prose, no code fences.\n"
            + schema.ToJsonString(),
        { Kind: ResponseFormatKind.JsonSchema } => "Respond with a single valid JSON value and nothing else: no prose, no code fences.",
        _ => null,
    };

    /// <summary>
    /// Streamed thinking can come back as several reasoning parts (text, then the signature alone, as Gemini clients
    /// receive it): one thinking block needs the whole text with its signature.
    /// </summary>
    private static IEnumerable<ContentPart> MergeReasoning(List<ContentPart> parts)
    {
        ReasoningPart? pending = null;
        foreach (var part in parts)
        {
            if (part is ReasoningPart r)
            {
                pending = pending is null ? r : new ReasoningPart(pending.Text + r.Text, r.Signature ?? pending.Signature);
                if (r.Signature is not null)
                {
                    yield return pending;
                    pending = null;
                }
                continue;
            }
            if (pending is not null) yield return pending;
            pending = null;
            yield return part;
        }
        if (pending is not null) yield return pending;
    }

    private static void AddBlock(ContentPart part, JsonArray blocks)
    {
        switch (part)
        {
            case TextPart { Text.Length: > 0 } t: // Anthropic rejects empty text blocks
                blocks.Add(new JsonObject { ["type"] = "text", ["text"] = t.Text });
                break;
            case ImagePart { Base64Data: not null } i:
                blocks.Add(new JsonObject
                {
                    ["type"] = "image",
                    ["source"] = new JsonObject { ["type"] = "base64", ["media_type"] = i.MediaType ?? "image/png", ["data"] = i.Base64Data },
                });
                break;
            case ImagePart { Url: not null } i:
                blocks.Add(new JsonObject { ["type"] = "image", ["source"] = new JsonObject { ["type"] = "url", ["url"] = i.Url } });
                break;
            case ToolCallPart c:
                blocks.Add(new JsonObject { ["type"] = "tool_use", ["id"] = c.Id, ["name"] = c.Name, ["input"] = ToolArguments.AsObject(c.ArgumentsJson) });
                break;
            case ToolResultPart r:
            {
                var block = new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = r.ToolCallId, ["content"] = r.Content };
                if (r.IsError) block["is_error"] = true;
                blocks.Add(block);
                break;
            }
            case ReasoningPart { Signature.Length: > 0 } r: // unsigned thinking (from another vendor) is refused by Anthropic
                blocks.Add(new JsonObject { ["type"] = "thinking", ["thinking"] = r.Text, ["signature"] = r.Signature });
                break;
        }
    }

    public ChatResponse ParseResponse(JsonObject body)
    {
        var output = new List<ContentPart>();
        if (body["content"] is JsonArray content)
        {
            foreach (var block in content.OfType<JsonObject>())
            {
                switch (Lenient.Str(block["type"]))
                {
                    case "text":
                        output.Add(new TextPart(Lenient.Str(block["text"]) ?? ""));
                        break;
                    case "thinking":
                        output.Add(new ReasoningPart(Lenient.Str(block["thinking"]) ?? "", Lenient.Str(block["signature"])));
                        break;
                    case "tool_use":
                        output.Add(new ToolCallPart(Lenient.Str(block["id"]) ?? Ids.New("toolu_"), Lenient.Str(block["name"]) ?? "",
                            Lenient.Json(block["input"])));
                        break;
                }
            }
        }
        return new ChatResponse
        {
            Id = Lenient.Str(body["id"]) ?? Ids.New("msg_"),
            Model = Lenient.Str(body["model"]) ?? "",
            Output = output,
            FinishReason = AnthropicVocabulary.FinishReasonOf(Lenient.Str(body["stop_reason"])),
            Usage = AnthropicVocabulary.ReadUsage(body["usage"] as JsonObject, null),
        };
    }

    public IUpstreamStreamParser CreateStreamParser() => new AnthropicStreamParser();

    public string? ReadErrorMessage(JsonNode? body) => body switch
    {
        JsonObject o when o["error"] is JsonObject e => Lenient.Str(e["message"]),
        JsonObject o => Lenient.Str(o["message"]),
        _ => null,
    };
}

/// <summary>
/// Parses Anthropic stream events; content-block indexes of tool_use blocks map to neutral tool indexes. Reads through a
/// pooled <see cref="JsonDocument"/>: it runs for every event of every Anthropic stream, pass-through included.
/// </summary>
internal sealed class AnthropicStreamParser : IUpstreamStreamParser
{
    private readonly Dictionary<int, (int Tool, bool HasArguments)> _toolBlocks = [];
    private Usage? _usage;

    public void Parse(string? eventName, ReadOnlySpan<byte> data, List<StreamEvent> output)
    {
        if (UpstreamEventJson.ParseObject(data) is not { } document) return;
        using (document)
        {
            var e = document.RootElement;
            switch (Str(e, "type"u8) ?? eventName)
            {
                case "message_start":
                {
                    e.TryGetProperty("message"u8, out var message);
                    output.Add(new StreamStart(Str(message, "id"u8) ?? Ids.New("msg_"), Str(message, "model"u8) ?? ""));
                    if (Obj(message, "usage"u8) is { } usage)
                    {
                        _usage = AnthropicVocabulary.ReadUsage(usage, null);
                        output.Add(new UsageUpdate(_usage));
                    }
                    break;
                }
                case "content_block_start":
                {
                    var index = (int)Long(e, "index"u8);
                    var block = Obj(e, "content_block"u8) ?? default;
                    switch (Str(block, "type"u8))
                    {
                        case "text" when Str(block, "text"u8) is { Length: > 0 } text:
                            output.Add(new TextDelta(text));
                            break;
                        case "thinking" when Str(block, "thinking"u8) is { Length: > 0 } thinking:
                            output.Add(new ReasoningDelta(thinking));
                            break;
                        case "tool_use":
                            var tool = _toolBlocks.Count;
                            _toolBlocks[index] = (tool, false);
                            output.Add(new ToolCallStart(tool, Str(block, "id"u8) ?? Ids.New("toolu_"), Str(block, "name"u8) ?? ""));
                            break;
                    }
                    break;
                }
                case "content_block_delta":
                {
                    var index = (int)Long(e, "index"u8);
                    var delta = Obj(e, "delta"u8) ?? default;
                    switch (Str(delta, "type"u8))
                    {
                        case "text_delta" when Str(delta, "text"u8) is { Length: > 0 } text:
                            output.Add(new TextDelta(text));
                            break;
                        case "thinking_delta" when Str(delta, "thinking"u8) is { Length: > 0 } thinking:
                            output.Add(new ReasoningDelta(thinking));
                            break;
                        case "signature_delta" when Str(delta, "signature"u8) is { Length: > 0 } signature:
                            output.Add(new ReasoningDelta("", signature));
                            break;
                        case "input_json_delta" when Str(delta, "partial_json"u8) is { Length: > 0 } json && _toolBlocks.TryGetValue(index, out var tool):
                            _toolBlocks[index] = (tool.Tool, true);
                            output.Add(new ToolCallDelta(tool.Tool, json));
                            break;
                    }
                    break;
                }
                case "content_block_stop":
                {
                    // A tool without parameters streams no input_json_delta; its input is {} — say so, so clients get valid JSON.
                    var index = (int)Long(e, "index"u8);
                    if (_toolBlocks.TryGetValue(index, out var tool) && !tool.HasArguments)
                    {
                        _toolBlocks[index] = (tool.Tool, true);
                        output.Add(new ToolCallDelta(tool.Tool, "{}"));
                    }
                    break;
                }
                case "message_delta":
                    if (Obj(e, "delta"u8) is { } messageDelta && Str(messageDelta, "stop_reason"u8) is { } stop)
                    {
                        output.Add(new StreamFinish(AnthropicVocabulary.FinishReasonOf(stop)));
                    }
                    if (Obj(e, "usage"u8) is { } deltaUsage)
                    {
                        _usage = AnthropicVocabulary.ReadUsage(deltaUsage, _usage);
                        output.Add(new UsageUpdate(_usage));
                    }
                    break;
                case "error":
                    output.Add(new StreamFailure((Obj(e, "error"u8) is { } error ? Str(error, "message"u8) : null) ?? "upstream error"));
                    break;
                // ping, message_stop: nothing to carry
            }
        }
    }
}
