using System.Text.Json;
using System.Text.Json.Nodes;
using static NexRelay.Edge.Translation.Lenient;

namespace NexRelay.Edge.Translation.OpenAI;

/// <summary>
/// An OpenAI upstream's Responses API (<c>…/v1/responses</c>), for pass-through only: Responses clients' bodies go to it as they
/// are (<see cref="OpenAIResponsesFormat.PassthroughTo"/>), and its answers come back as they are. What is read here is what
/// the relay meters and logs: the output, the finish and the usage. Other clients are translated to Chat Completions
/// (<see cref="OpenAIUpstream"/>), never to this.
/// </summary>
public sealed class OpenAIResponsesUpstream : IUpstreamFormat
{
    public static OpenAIResponsesUpstream Instance { get; } = new();

    public UpstreamKind Kind => UpstreamKind.OpenAI;

    public string PassthroughPath(string upstreamModel, bool stream) => "responses";

    public UpstreamHttpRequest BuildRequest(ChatRequest request, string upstreamModel, int maxOutputTokens, bool stream) =>
        throw new NotSupportedException("Requests are translated to OpenAI's Chat Completions; the Responses API is only passed through to.");

    public ChatResponse ParseResponse(JsonObject body)
    {
        var output = new List<ContentPart>();
        var toolCalls = false;
        foreach (var item in (body["output"] as JsonArray ?? []).OfType<JsonObject>())
        {
            switch (Lenient.Str(item["type"]))
            {
                case "message":
                    foreach (var part in (item["content"] as JsonArray ?? []).OfType<JsonObject>())
                    {
                        if ((Lenient.Str(part["text"]) ?? Lenient.Str(part["refusal"])) is { Length: > 0 } text) output.Add(new TextPart(text));
                    }
                    break;
                case "reasoning":
                    foreach (var part in (item["summary"] as JsonArray ?? []).OfType<JsonObject>())
                    {
                        if (Lenient.Str(part["text"]) is { Length: > 0 } text) output.Add(new ReasoningPart(text));
                    }
                    break;
                case "function_call":
                    toolCalls = true;
                    output.Add(new ToolCallPart(Lenient.Str(item["call_id"]) ?? "", Lenient.Str(item["name"]) ?? "", Lenient.Str(item["arguments"]) ?? "{}"));
                    break;
                case "custom_tool_call":
                    toolCalls = true;
                    output.Add(new ToolCallPart(Lenient.Str(item["call_id"]) ?? "", Lenient.Str(item["name"]) ?? "", Lenient.Str(item["input"]) ?? ""));
                    break;
            }
        }
        return new ChatResponse
        {
            Id = Lenient.Str(body["id"]) ?? Ids.New("resp_"),
            Model = Lenient.Str(body["model"]) ?? "",
            Output = output,
            FinishReason = FinishOf(Lenient.Str(body["status"]), Lenient.Str(Lenient.Path(body, "incomplete_details", "reason")), toolCalls),
            Usage = OpenAIVocabulary.ReadResponsesUsage(body["usage"]),
        };
    }

    internal static FinishReason FinishOf(string? status, string? incompleteReason, bool toolCalls) => status switch
    {
        "incomplete" => incompleteReason == "content_filter" ? FinishReason.ContentFilter : FinishReason.Length,
        "failed" or "cancelled" => FinishReason.Error,
        _ => toolCalls ? FinishReason.ToolCalls : FinishReason.Stop,
    };

    public IUpstreamStreamParser CreateStreamParser() => new OpenAIResponsesStreamParser();

    public string? ReadErrorMessage(JsonNode? body) => FormatRegistry.Upstream(UpstreamKind.OpenAI).ReadErrorMessage(body);
}

/// <summary>
/// Reads Responses stream events (<c>response.*</c>, each naming its type) into neutral events for the meter: text, reasoning
/// summaries and tool-call input as they arrive, the usage and the finish from the terminal <c>response.completed</c>,
/// <c>response.incomplete</c> or <c>response.failed</c>, and an <c>error</c> event as a failure. The client gets the upstream's own
/// events, re-framed unchanged.
/// </summary>
internal sealed class OpenAIResponsesStreamParser : IUpstreamStreamParser
{
    private readonly Dictionary<string, int> _calls = new(StringComparer.Ordinal);
    private bool _started;

    public void Parse(string? eventName, ReadOnlySpan<byte> data, List<StreamEvent> output)
    {
        if (UpstreamEventJson.ParseObject(data) is not { } document) return;
        using (document)
        {
            var e = document.RootElement;
            var type = Str(e, "type"u8) ?? eventName;
            switch (type)
            {
                case "response.created" or "response.in_progress":
                    if (!_started && e.TryGetProperty("response"u8, out var created) && created.ValueKind == JsonValueKind.Object)
                    {
                        _started = true;
                        output.Add(new StreamStart(Str(created, "id"u8) ?? Ids.New("resp_"), Str(created, "model"u8) ?? ""));
                    }
                    break;
                case "response.output_text.delta" or "response.refusal.delta":
                    if (Str(e, "delta"u8) is { Length: > 0 } text) output.Add(new TextDelta(text));
                    break;
                case "response.reasoning_summary_text.delta":
                    if (Str(e, "delta"u8) is { Length: > 0 } reasoning) output.Add(new ReasoningDelta(reasoning));
                    break;
                case "response.output_item.added":
                    if (e.TryGetProperty("item"u8, out var item) && item.ValueKind == JsonValueKind.Object
                        && Str(item, "type"u8) is "function_call" or "custom_tool_call" && Str(item, "id"u8) is { } itemId)
                    {
                        _calls[itemId] = _calls.Count;
                        output.Add(new ToolCallStart(_calls.Count - 1, Str(item, "call_id"u8) ?? "", Str(item, "name"u8) ?? ""));
                    }
                    break;
                case "response.function_call_arguments.delta" or "response.custom_tool_call_input.delta":
                    if (Str(e, "item_id"u8) is { } callItem && _calls.TryGetValue(callItem, out var index) && Str(e, "delta"u8) is { Length: > 0 } fragment)
                    {
                        output.Add(new ToolCallDelta(index, fragment));
                    }
                    break;
                case "response.completed" or "response.incomplete" or "response.failed":
                    if (e.TryGetProperty("response"u8, out var response) && response.ValueKind == JsonValueKind.Object)
                    {
                        if (response.TryGetProperty("usage"u8, out var usage) && usage.ValueKind == JsonValueKind.Object)
                        {
                            output.Add(new UsageUpdate(OpenAIVocabulary.ReadResponsesUsage(usage)));
                        }
                        if (type == "response.failed")
                        {
                            var message = response.TryGetProperty("error"u8, out var error) && error.ValueKind == JsonValueKind.Object ? Str(error, "message"u8) : null;
                            output.Add(new StreamFailure(message ?? "The upstream's response failed."));
                            break;
                        }
                        var reason = response.TryGetProperty("incomplete_details"u8, out var details) && details.ValueKind == JsonValueKind.Object
                            ? Str(details, "reason"u8) : null;
                        output.Add(new StreamFinish(OpenAIResponsesUpstream.FinishOf(Str(response, "status"u8), reason, _calls.Count > 0)));
                    }
                    break;
                case "error":
                    output.Add(new StreamFailure(Str(e, "message"u8) ?? "upstream error"));
                    break;
            }
        }
    }
}
