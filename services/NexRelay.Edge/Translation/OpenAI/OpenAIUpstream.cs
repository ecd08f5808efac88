using System.Text.Json;
using System.Text.Json.Nodes;
using static NexRelay.Edge.Translation.Lenient;

namespace NexRelay.Edge.Translation.OpenAI;

/// <summary>An OpenAI Chat Completions upstream (base URL ending in <c>/v1/</c>).</summary>
public sealed class OpenAIUpstream : IUpstreamFormat
{
    public UpstreamKind Kind => UpstreamKind.OpenAI;

    public string PassthroughPath(string upstreamModel, bool stream) => "chat/completions";

    public UpstreamHttpRequest BuildRequest(ChatRequest request, string upstreamModel, int maxOutputTokens, bool stream)
    {
        var messages = new JsonArray();
        if (request.System.Count > 0)
        {
            messages.Add(new JsonObject { ["role"] = "system", ["content"] = JoinText(request.System, "\n\n") });
        }
        foreach (var m in request.Messages)
        {
            switch (m.Role)
            {
                case ChatRole.User:
                    messages.Add(new JsonObject { ["role"] = "user", ["content"] = UserContent(m.Parts) });
                    break;
                case ChatRole.Assistant:
                {
                    var text = JoinText(m.Parts, "");
                    var calls = new JsonArray();
                    foreach (var call in m.Parts.OfType<ToolCallPart>())
                    {
                        calls.Add(new JsonObject
                        {
                            ["id"] = call.Id,
                            ["type"] = "function",
                            ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = call.ArgumentsJson },
                        });
                    }
                    var message = new JsonObject { ["role"] = "assistant", ["content"] = text.Length == 0 && calls.Count > 0 ? null : text };
                    if (calls.Count > 0) message["tool_calls"] = calls;
                    messages.Add(message);
                    break;
                }
                case ChatRole.Tool:
                    foreach (var result in m.Parts.OfType<ToolResultPart>())
                    {
                        messages.Add(new JsonObject { ["role"] = "tool", ["tool_call_id"] = result.ToolCallId, ["content"] = result.Content });
                    }
                    break;
            }
        }

        var body = new JsonObject
        {
            ["model"] = upstreamModel,
            ["messages"] = messages,
            ["max_completion_tokens"] = maxOutputTokens,
        };
        if (request.Tools.Count > 0)
        {
            var tools = new JsonArray();
            foreach (var t in request.Tools)
            {
                var fn = new JsonObject { ["name"] = t.Name };
                if (t.Description is not null) fn["description"] = t.Description;
                fn["parameters"] = t.ParametersSchema?.DeepClone() ?? new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() };
                tools.Add(new JsonObject { ["type"] = "function", ["function"] = fn });
            }
            body["tools"] = tools;
            if (request.ParallelToolCalls is { } parallel) body["parallel_tool_calls"] = parallel;
        }
        if (request.ToolChoice is { } choice && request.Tools.Count > 0) // OpenAI refuses tool_choice without tools
        {
            body["tool_choice"] = choice.Kind switch
            {
                ToolChoiceKind.None => "none",
                ToolChoiceKind.Required => "required",
                ToolChoiceKind.Tool => new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = choice.Name } },
                _ => "auto",
            };
        }
        if (request.Temperature is { } temperature) body["temperature"] = temperature;
        if (request.TopP is { } topP) body["top_p"] = topP;
        if (request.Stop.Count > 0) body["stop"] = new JsonArray([.. request.Stop.Select(s => (JsonNode)s)]);
        switch (request.ResponseFormat)
        {
            case { Kind: ResponseFormatKind.JsonObject }:
                body["response_format"] = new JsonObject { ["type"] = "json_object" };
                break;
            case { Kind: ResponseFormatKind.JsonSchema } rf:
            {
                var schema = new JsonObject { ["name"] = rf.Name ?? "response", ["schema"] = rf.Schema?.DeepClone() ?? new JsonObject() };
                if (rf.Strict is { } strict) schema["strict"] = strict;
                body["response_format"] = new JsonObject { ["type"] = "json_schema", ["json_schema"] = schema };
                break;
            }
        }
        if (Reasoning.Effort(request.Reasoning) is { } effort) body["reasoning_effort"] = effort;
        if (request.User is not null) body["user"] = request.User;
        if (stream)
        {
            body["stream"] = true;
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }
        return new UpstreamHttpRequest("chat/completions", body);
    }

    private static JsonNode UserContent(List<ContentPart> parts)
    {
        if (parts.All(p => p is TextPart)) return JoinText(parts, "");
        var array = new JsonArray();
        foreach (var part in parts)
        {
            switch (part)
            {
                case TextPart t:
                    array.Add(new JsonObject { ["type"] = "text", ["text"] = t.Text });
                    break;
                case ImagePart i:
                    array.Add(new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = ImageUrls.ToUrl(i) } });
                    break;
            }
        }
        return array;
    }

    private static string JoinText(List<ContentPart> parts, string separator)
    {
        var texts = parts.OfType<TextPart>().Select(t => t.Text).ToList();
        return texts.Count == 1 ? texts[0] : string.Join(separator, texts);
    }

    public ChatResponse ParseResponse(JsonObject body)
    {
        var choice = (body["choices"] as JsonArray)?.FirstOrDefault() as JsonObject;
        var message = choice?["message"] as JsonObject;
        var output = new List<ContentPart>();
        if ((Lenient.Str(message?["reasoning_content"]) ?? Lenient.Str(message?["reasoning"])) is { Length: > 0 } reasoning) output.Add(new ReasoningPart(reasoning));
        if (Lenient.Str(message?["content"]) is { Length: > 0 } content) output.Add(new TextPart(content));
        if (Lenient.Str(message?["refusal"]) is { Length: > 0 } refusal) output.Add(new TextPart(refusal));
        if (message?["tool_calls"] is JsonArray calls)
        {
            foreach (var call in calls.OfType<JsonObject>())
            {
                output.Add(new ToolCallPart(
                    Lenient.Str(call["id"]) ?? Ids.New("call_"),
                    Lenient.Str(Lenient.Path(call, "function", "name")) ?? "",
                    Lenient.Str(Lenient.Path(call, "function", "arguments")) ?? "{}"));
            }
        }
        return new ChatResponse
        {
            Id = Lenient.Str(body["id"]) ?? Ids.New("chatcmpl-"),
            Model = Lenient.Str(body["model"]) ?? "",
            Output = output,
            FinishReason = OpenAIVocabulary.FinishReasonOf(Lenient.Str(choice?["finish_reason"])),
            Usage = OpenAIVocabulary.ReadUsage(body["usage"]),
        };
    }

    public IUpstreamStreamParser CreateStreamParser() => new OpenAIStreamParser();

    public string? ReadErrorMessage(JsonNode? body) => body switch
    {
        JsonObject o when o["error"] is JsonObject e => Lenient.Str(e["message"]),
        JsonObject o when Lenient.Str(o["error"]) is { } s => s,
        JsonObject o => Lenient.Str(o["message"]) ?? Lenient.Str(o["detail"]),
        JsonArray { Count: > 0 } a => ReadErrorMessage(a[0]),
        _ => null,
    };
}

/// <summary>
/// Parses <c>chat.completion.chunk</c> events; maps OpenAI tool-call indexes to neutral ones in order of appearance.
/// Reads through a pooled <see cref="JsonDocument"/>: this runs for every chunk of every OpenAI stream, pass-through included.
/// </summary>
internal sealed class OpenAIStreamParser : IUpstreamStreamParser
{
    private bool _started;
    private readonly List<int> _toolIndexes = [];

    public void Parse(string? eventName, ReadOnlySpan<byte> data, List<StreamEvent> output)
    {
        if (data.SequenceEqual("[DONE]"u8)) return;
        if (UpstreamEventJson.ParseObject(data) is not { } document) return;
        using (document)
        {
            var chunk = document.RootElement;
            if (chunk.TryGetProperty("error"u8, out var error) && error.ValueKind != JsonValueKind.Null)
            {
                output.Add(new StreamFailure(Str(error, "message"u8) ?? Lenient.Str(error) ?? "upstream error"));
                return;
            }
            if (!_started)
            {
                _started = true;
                output.Add(new StreamStart(Str(chunk, "id"u8) ?? Ids.New("chatcmpl-"), Str(chunk, "model"u8) ?? ""));
            }
            if (chunk.TryGetProperty("choices"u8, out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
            {
                var choice = choices[0];
                if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("delta"u8, out var delta) && delta.ValueKind == JsonValueKind.Object)
                {
                    // Not OpenAI's own: OpenAI-compatible servers (DeepSeek, vLLM: reasoning_content; OpenRouter: reasoning) stream thoughts so.
                    if ((Str(delta, "reasoning_content"u8) ?? Str(delta, "reasoning"u8)) is { Length: > 0 } reasoning) output.Add(new ReasoningDelta(reasoning));
                    if (Str(delta, "content"u8) is { Length: > 0 } text) output.Add(new TextDelta(text));
                    if (Str(delta, "refusal"u8) is { Length: > 0 } refusal) output.Add(new TextDelta(refusal));
                    if (delta.TryGetProperty("tool_calls"u8, out var calls) && calls.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var call in calls.EnumerateArray()) ReadToolCall(call, output);
                    }
                }
                if (choice.ValueKind == JsonValueKind.Object && Str(choice, "finish_reason"u8) is { } finish)
                {
                    output.Add(new StreamFinish(OpenAIVocabulary.FinishReasonOf(finish)));
                }
            }
            if (chunk.TryGetProperty("usage"u8, out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                output.Add(new UsageUpdate(OpenAIVocabulary.ReadUsage(usage)));
            }
        }
    }

    private void ReadToolCall(JsonElement call, List<StreamEvent> output)
    {
        if (call.ValueKind != JsonValueKind.Object) return;
        var upstreamIndex = (int)Long(call, "index"u8);
        var index = _toolIndexes.IndexOf(upstreamIndex);
        call.TryGetProperty("function"u8, out var fn);
        if (index < 0)
        {
            _toolIndexes.Add(upstreamIndex);
            index = _toolIndexes.Count - 1;
            output.Add(new ToolCallStart(index, Str(call, "id"u8) ?? Ids.New("call_"), fn.ValueKind == JsonValueKind.Object ? Str(fn, "name"u8) ?? "" : ""));
        }
        if (fn.ValueKind == JsonValueKind.Object && Str(fn, "arguments"u8) is { Length: > 0 } args)
        {
            output.Add(new ToolCallDelta(index, args));
        }
    }
}
