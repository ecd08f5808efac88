using System.Text.Json.Nodes;

namespace NexRelay.Edge.Docs;

/// <summary>One operation of a published OpenAPI document, as the Postman collection and the llms files read it.</summary>
internal sealed record DocumentOperation(string Method, string Path, JsonObject Operation)
{
    private const string RefPrefix = "#/components/schemas/";

    public string Tag => Operation["tags"]?[0]?.GetValue<string>() ?? "";

    public string Summary => Operation["summary"]?.GetValue<string>() ?? "";

    public string Description => Operation["description"]?.GetValue<string>() ?? "";

    public IEnumerable<JsonObject> QueryParameters =>
        (Operation["parameters"] as JsonArray ?? []).OfType<JsonObject>().Where(p => p["in"]?.GetValue<string>() == "query");

    /// <summary>The query string of the examples: each query parameter that has an example.</summary>
    public string? ExampleQuery
    {
        get
        {
            var pairs = QueryParameters.Where(p => p["example"] is not null).Select(p => $"{p["name"]!.GetValue<string>()}={p["example"]!.GetValue<string>()}").ToList();
            return pairs.Count > 0 ? string.Join('&', pairs) : null;
        }
    }

    private JsonObject? RequestJson => Operation["requestBody"]?["content"]?["application/json"] as JsonObject;

    public JsonNode? Example => RequestJson?["example"];

    public string? RequestSchema => SchemaName(RequestJson?["schema"]);

    private KeyValuePair<string, JsonNode?> Success =>
        (Operation["responses"] as JsonObject ?? []).FirstOrDefault(r => r.Key.StartsWith('2'));

    public string SuccessStatus => Success.Key;

    public string? ResponseSchema => SchemaName(Success.Value?["content"]?["application/json"]?["schema"]);

    public bool Streams => Success.Value?["content"]?["text/event-stream"] is not null;

    public IEnumerable<string> ErrorStatuses => (Operation["responses"] as JsonObject ?? []).Select(r => r.Key).Where(s => !s.StartsWith('2'));

    public static IEnumerable<DocumentOperation> All(JsonObject document) =>
        from path in document["paths"]!.AsObject()
        from method in path.Value!.AsObject()
        select new DocumentOperation(method.Key.ToUpperInvariant(), path.Key, method.Value!.AsObject());

    private static string? SchemaName(JsonNode? schema) =>
        schema?["$ref"]?.GetValue<string>() is { } target && target.StartsWith(RefPrefix, StringComparison.Ordinal) ? target[RefPrefix.Length..] : null;
}
