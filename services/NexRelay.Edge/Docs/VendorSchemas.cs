using System.Text.Json.Nodes;

namespace NexRelay.Edge.Docs;

/// <summary>
/// JSON Schemas (2020-12, as OpenAPI 3.1 uses) of the bodies NexRelay reads and writes, one embedded file per component:
/// <c>Docs/Schemas/{name}.json</c>. Requests list the fields the edge reads; other fields of the provider's API are
/// accepted and passed on where the upstream speaks the same format. Responses list what NexRelay writes; providers may
/// add fields, so objects stay open.
/// </summary>
/// <remarks>
/// They are merged into the generated document as JSON rather than through Microsoft.OpenApi's object model, which
/// cannot hold every 2020-12 keyword unchanged (it writes a numeric <c>const</c> back as a string).
/// </remarks>
internal static class VendorSchemas
{
    private const string RefPrefix = "#/components/schemas/";

    /// <summary>Every schema the document refers to, and every schema those refer to.</summary>
    public static JsonObject Closure(JsonNode document)
    {
        var schemas = new SortedDictionary<string, JsonNode>(StringComparer.Ordinal);
        var pending = new Queue<string>(References(document));
        while (pending.TryDequeue(out var name))
        {
            if (schemas.ContainsKey(name)) continue;
            var schema = Load(name);
            schemas[name] = schema;
            foreach (var next in References(schema)) pending.Enqueue(next);
        }
        var result = new JsonObject();
        foreach (var (name, schema) in schemas) result[name] = schema;
        return result;
    }

    public static JsonNode Load(string name)
    {
        using var stream = typeof(VendorSchemas).Assembly.GetManifestResourceStream($"NexRelay.Edge.Docs.Schemas.{name}.json")
            ?? throw new InvalidOperationException($"The documents refer to schema {name}, but there is no Docs/Schemas/{name}.json.");
        return JsonNode.Parse(stream)!;
    }

    private static IEnumerable<string> References(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (key == "$ref" && value?.GetValue<string>() is { } target && target.StartsWith(RefPrefix, StringComparison.Ordinal))
                    {
                        yield return target[RefPrefix.Length..];
                    }
                    foreach (var inner in References(value)) yield return inner;
                }
                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    foreach (var inner in References(item)) yield return inner;
                }
                break;
        }
    }
}
