namespace NexRelay.Chaos.Tests;

/// <summary>Models whose upstreams misbehave on purpose (simulated-provider knobs in the base URL), beside the default catalog.</summary>
internal static class ChaosCatalog
{
    /// <summary>First upstream answers 503, the second serves it: failover.</summary>
    public const string Failover = "chaos-failover";
    /// <summary>An upstream on a closed port.</summary>
    public const string Dead = "chaos-dead";
    /// <summary>A token every 150 ms (a few seconds a stream).</summary>
    public const string Slow = "chaos-slow";
    /// <summary>Goes silent for 5 s after its first token: the 2 s idle timeout ends it.</summary>
    public const string Stalls = "chaos-stalls";

    /// <summary>Answers after 1.5 s: concurrent requests all hold before any settles.</summary>
    public const string Delayed = "chaos-delayed";
    /// <summary>Fails or serves per request, as its prompt directive says: the breaker opens, half-opens and closes.</summary>
    public const string Flaky = "chaos-flaky";

    public static IEnumerable<string> Settings
    {
        get
        {
            var providers = new Dictionary<string, (string Kind, string BaseUrl)>
            {
                ["chaos-503"] = ("openai", "http://simulated-provider/knobs/fail-status=503/v1/"),
                ["chaos-dead"] = ("openai", "http://127.0.0.1:9/v1/"),
                ["chaos-slow"] = ("anthropic", "http://simulated-provider/knobs/token-delay-ms=150/v1/"),
                ["chaos-stalls"] = ("gemini", "http://simulated-provider/knobs/token-delay-ms=5000/v1beta/"),
                ["chaos-delayed"] = ("openai", "http://simulated-provider/knobs/first-byte-delay-ms=1500/v1/"),
                ["chaos-flaky"] = ("openai", "http://simulated-provider/v1/"),
            };
            foreach (var (name, (kind, url)) in providers)
            {
                yield return $"NexRelay:Catalog:Providers:{name}:Kind={kind}";
                yield return $"NexRelay:Catalog:Providers:{name}:BaseUrl={url}";
                yield return $"NexRelay:Catalog:Providers:{name}:ApiKey=chaos-provider-key-{name}";
            }
            var models = new Dictionary<string, string[]>
            {
                [Failover] = ["chaos-503", "simulated-openai"],
                [Dead] = ["chaos-dead"],
                [Slow] = ["chaos-slow"],
                [Stalls] = ["chaos-stalls"],
                [Delayed] = ["chaos-delayed"],
                [Flaky] = ["chaos-flaky"],
            };
            foreach (var (model, upstreams) in models)
            {
                for (var i = 0; i < upstreams.Length; i++) yield return $"NexRelay:Catalog:Models:{model}:Upstreams:{i}:Provider={upstreams[i]}";
                // The delayed model charges output only, and answers exactly its limit: each request costs its hold.
                yield return $"NexRelay:Catalog:Models:{model}:Prices:Input={(model == Delayed ? "0" : "2")}";
                yield return $"NexRelay:Catalog:Models:{model}:Prices:CachedInput={(model == Delayed ? "0" : "0.2")}";
                yield return $"NexRelay:Catalog:Models:{model}:Prices:Output=10";
            }
        }
    }

    /// <summary>Every provider key the cluster was given: none may appear in clear anywhere it stores.</summary>
    public static IEnumerable<string> ProviderKeys =>
        ["sim-openai-key", "sim-anthropic-key", "sim-gemini-key", "chaos-provider-key-chaos-503", "chaos-provider-key-chaos-dead",
         "chaos-provider-key-chaos-slow", "chaos-provider-key-chaos-stalls", "chaos-provider-key-chaos-delayed", "chaos-provider-key-chaos-flaky"];
}
