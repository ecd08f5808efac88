using System.Text.Json;
using System.Text.Json.Nodes;

namespace NexRelay.Deploy.Tests.Infrastructure;

/// <summary>The objects `kubectl kustomize` rendered, as JSON (converted by the validator), with lookups the tests share.</summary>
internal sealed class Manifests(IReadOnlyList<JsonObject> objects)
{
    public IReadOnlyList<JsonObject> Objects { get; } = objects;

    public static Manifests Parse(string json) =>
        new(JsonNode.Parse(json)!.AsArray().Select(n => n!.AsObject()).ToList());

    public IEnumerable<JsonObject> OfKind(string kind) => Objects.Where(o => Str(o["kind"]) == kind);

    public JsonObject? Find(string kind, string name) => OfKind(kind).FirstOrDefault(o => Name(o) == name);

    public JsonObject Get(string kind, string name) =>
        Find(kind, name) ?? throw new Xunit.Sdk.XunitException(
            $"The rendered manifests have no {kind} named '{name}'. They have: {string.Join(", ", Objects.Select(o => $"{Str(o["kind"])}/{Name(o)}"))}");

    public static string Name(JsonObject o) => Str(o["metadata"]?["name"]) ?? "";

    public static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString();

    public static IEnumerable<JsonObject> Items(JsonNode? array) =>
        array is JsonArray a ? a.OfType<JsonObject>() : [];

    public static JsonObject PodSpec(JsonObject workload) => workload["spec"]!["template"]!["spec"]!.AsObject();

    public static IReadOnlyDictionary<string, string> PodLabels(JsonObject workload) => Labels(workload["spec"]!["template"]!["metadata"]?["labels"]);

    public static IReadOnlyDictionary<string, string> Labels(JsonNode? labels) =>
        labels is JsonObject o ? o.ToDictionary(p => p.Key, p => Str(p.Value) ?? "") : new Dictionary<string, string>();

    /// <summary>The single application container of a Deployment (named like the Deployment).</summary>
    public static JsonObject MainContainer(JsonObject deployment)
    {
        var containers = Items(PodSpec(deployment)["containers"]).ToList();
        return containers.FirstOrDefault(c => Str(c["name"]) == Name(deployment))
            ?? throw new Xunit.Sdk.XunitException($"Deployment {Name(deployment)} has no container named {Name(deployment)}.");
    }

    /// <summary>A Kubernetes label selector (matchLabels and matchExpressions) applied to a set of labels.</summary>
    public static bool Selects(JsonNode? selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector is not JsonObject s) return false;
        foreach (var (key, value) in Labels(s["matchLabels"]))
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value) return false;
        }
        foreach (var expression in Items(s["matchExpressions"]))
        {
            var key = Str(expression["key"])!;
            var values = expression["values"] is JsonArray a ? a.Select(Str).ToHashSet() : [];
            var has = labels.TryGetValue(key, out var actual);
            var ok = Str(expression["operator"]) switch
            {
                "In" => has && values.Contains(actual),
                "NotIn" => !has || !values.Contains(actual),
                "Exists" => has,
                "DoesNotExist" => !has,
                var op => throw new Xunit.Sdk.XunitException($"Unknown selector operator {op}."),
            };
            if (!ok) return false;
        }
        return true;
    }

    /// <summary>Flattens a JSON configuration file into configuration keys (a:b:0:c), as Microsoft.Extensions.Configuration does.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> FlattenJson(string json)
    {
        var results = new List<KeyValuePair<string, string?>>();
        Walk(JsonNode.Parse(json), "");
        return results;

        void Walk(JsonNode? node, string prefix)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (k, v) in o) Walk(v, prefix.Length == 0 ? k : $"{prefix}:{k}");
                    break;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++) Walk(a[i], $"{prefix}:{i}");
                    break;
                case JsonValue v:
                    results.Add(new(prefix, v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString()));
                    break;
                default:
                    results.Add(new(prefix, null));
                    break;
            }
        }
    }
}
