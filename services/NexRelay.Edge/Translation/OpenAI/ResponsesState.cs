using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Edge.Translation.Sse;
using static NexRelay.Edge.Translation.RequestReader;

namespace NexRelay.Edge.Translation.OpenAI;

/// <summary>
/// The Responses API's state: <c>store</c> (default true) keeps a response, <c>previous_response_id</c> continues one. NexRelay
/// keeps them itself, for every upstream kind: a continued request is sent with the whole conversation as its input (never
/// the id: the upstream may not know it, and the hold must count what the upstream will bill), and the stored input items are
/// listed as OpenAI lists them (<see cref="ListInputItems"/>).
/// </summary>
internal sealed class ResponsesState : IStoredResponses
{
    public static ResponsesState Instance { get; } = new();

    public string? ContinuesFrom(JsonObject body)
    {
        if (OptionalString(body, "previous_response_id", "previous_response_id") is not { } id) return null;
        if (id.Length is 0 or > IStoredResponses.MaxIdLength)
        {
            throw new RequestValidationException($"'previous_response_id' must be a response id of 1 to {IStoredResponses.MaxIdLength} characters.", "previous_response_id");
        }
        return id;
    }

    public void Continue(JsonObject body, JsonElement storedInput, JsonElement storedResponse)
    {
        var items = new JsonArray();
        foreach (var item in storedInput.EnumerateArray()) items.Add(JsonNode.Parse(item.GetRawText()));
        if (storedResponse.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in output.EnumerateArray()) items.Add(JsonNode.Parse(item.GetRawText()));
        }
        foreach (var item in InputItems(body)) items.Add(item?.DeepClone());
        body["input"] = items;
    }

    public bool Stores(JsonObject body) => OptionalBool(body, "store", "store") ?? true;

    public JsonArray InputItems(JsonObject body) => body["input"] switch
    {
        JsonArray items => items,
        JsonValue text when text.GetValueKind() == JsonValueKind.String =>
            [new JsonObject { ["type"] = "message", ["role"] = "user", ["content"] = text.GetValue<string>() }],
        _ => [],
    };

    public JsonObject? Answered(ReadOnlySpan<byte> answer, bool stream)
    {
        if (!stream) return Parse(answer) is JsonObject { } response && Lenient.Str(response["object"]) == "response" ? response : null;
        // The last terminal event carries the whole response (response.completed, .incomplete or .failed).
        JsonObject? final = null;
        var events = new List<SseEvent>();
        using (var sse = new SseParser())
        {
            sse.Feed(answer, events);
            sse.Complete(events);
        }
        foreach (var e in events)
        {
            if (Parse(e.Data) is JsonObject data && Lenient.Str(data["type"]) is "response.completed" or "response.incomplete" or "response.failed"
                && data["response"] is JsonObject response)
            {
                final = response;
            }
        }
        return final;
    }

    private static JsonNode? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            return JsonNode.Parse(ref reader);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// A page of a stored response's input items as <c>GET /responses/{id}/input_items</c> answers: each item with an id (its own,
    /// or one derived from the response id and its position, so pages stay stable), a message's string content as a list of
    /// parts, newest first unless <paramref name="ascending"/>, strictly after the item <paramref name="after"/>.
    /// </summary>
    public static JsonObject ListInputItems(string responseId, JsonElement storedInput, int limit, bool ascending, string? after)
    {
        var items = new List<JsonObject>();
        var index = 0;
        foreach (var stored in storedInput.EnumerateArray())
        {
            if (JsonNode.Parse(stored.GetRawText()) is JsonObject item) items.Add(Listed(item, responseId, index));
            index++;
        }
        if (!ascending) items.Reverse();
        var start = 0;
        if (after is not null)
        {
            var at = items.FindIndex(i => Lenient.Str(i["id"]) == after);
            start = at < 0 ? items.Count : at + 1;
        }
        var page = items.Skip(start).Take(limit).ToList();
        return new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray([.. page]),
            ["first_id"] = page.Count > 0 ? Lenient.Str(page[0]["id"]) : null,
            ["last_id"] = page.Count > 0 ? Lenient.Str(page[^1]["id"]) : null,
            ["has_more"] = start + page.Count < items.Count,
        };
    }

    private static JsonObject Listed(JsonObject item, string responseId, int index)
    {
        var type = Lenient.Str(item["type"]) ?? "message";
        var listed = new JsonObject { ["id"] = Lenient.Str(item["id"]) ?? DerivedId(type == "message" ? "msg_" : "item_", responseId, index) };
        listed["type"] = type;
        foreach (var (name, value) in item)
        {
            if (name is "id" or "type") continue;
            listed[name] = name == "content" && type == "message" && value is JsonValue text && text.GetValueKind() == JsonValueKind.String
                ? new JsonArray(new JsonObject
                {
                    ["type"] = Lenient.Str(item["role"]) == "assistant" ? "output_text" : "input_text",
                    ["text"] = text.GetValue<string>(),
                })
                : value?.DeepClone();
        }
        if (type == "message" && !listed.ContainsKey("status")) listed["status"] = "completed";
        return listed;
    }

    private static string DerivedId(string prefix, string responseId, int index)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(responseId + ":" + index.ToString(CultureInfo.InvariantCulture)));
        return prefix + Convert.ToHexStringLower(hash)[..32];
    }
}
