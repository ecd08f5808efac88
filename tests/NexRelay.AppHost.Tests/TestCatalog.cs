namespace NexRelay.AppHost.Tests;

/// <summary>
/// Extra models for failure tests, handed to the edge through the AppHost like any operator catalog. Their upstreams are the
/// simulated provider with knobs in the base URL (<c>/knobs/fail-status=503/…</c>), since a gateway forwards no test headers.
/// </summary>
internal static class TestCatalog
{
    public const string Failover = "test-failover";
    public const string Down = "test-down";
    public const string Cut = "test-cut";
    public const string NoUsage = "test-no-usage";
    public const string Rejects = "test-rejects";
    public const string Slow = "test-slow";
    public const string AnthropicDown = "test-anthropic-down";
    /// <summary>Answers after 700 ms: every concurrent hold is taken before any request settles.</summary>
    public const string Delayed = "test-delayed";
    /// <summary>Streams a token every 100 ms: a client can leave mid-stream.</summary>
    public const string SlowTokens = "test-slow-tokens";

    public static IEnumerable<string> Settings
    {
        get
        {
            var providers = new Dictionary<string, (string Kind, string Path)>
            {
                ["sim-fail"] = ("openai", "knobs/fail-status=503/v1/"),
                ["sim-fail-anthropic"] = ("anthropic", "knobs/fail-status=500/v1/"),
                ["sim-cut"] = ("openai", "knobs/cut-after=3/v1/"),
                ["sim-no-usage"] = ("anthropic", "knobs/omit-usage/v1/"),
                ["sim-rejects"] = ("gemini", "knobs/fail-status=400/v1beta/"),
                ["sim-slow"] = ("openai", "knobs/first-byte-delay-ms=4000/v1/"),
                ["sim-delayed"] = ("openai", "knobs/first-byte-delay-ms=700/v1/"),
                ["sim-slow-tokens"] = ("anthropic", "knobs/token-delay-ms=100/v1/"),
            };
            foreach (var (name, (kind, path)) in providers)
            {
                yield return $"NexRelay:Catalog:Providers:{name}:Kind={kind}";
                yield return $"NexRelay:Catalog:Providers:{name}:BaseUrl=http://simulated-provider/{path}";
                yield return $"NexRelay:Catalog:Providers:{name}:ApiKey=sim-test-key";
            }
            var models = new Dictionary<string, string[]>
            {
                [Failover] = ["sim-fail", "simulated-openai"],
                [Down] = ["sim-fail"],
                [AnthropicDown] = ["sim-fail-anthropic"],
                [Cut] = ["sim-cut"],
                [NoUsage] = ["sim-no-usage"],
                [Rejects] = ["sim-rejects"],
                [Slow] = ["sim-slow"],
                [Delayed] = ["sim-delayed"],
                [SlowTokens] = ["sim-slow-tokens"],
            };
            foreach (var (model, upstreams) in models)
            {
                for (var i = 0; i < upstreams.Length; i++) yield return $"NexRelay:Catalog:Models:{model}:Upstreams:{i}:Provider={upstreams[i]}";
                yield return $"NexRelay:Catalog:Models:{model}:Prices:Input=1";
                yield return $"NexRelay:Catalog:Models:{model}:Prices:CachedInput=0.1";
                yield return $"NexRelay:Catalog:Models:{model}:Prices:Output=2";
                yield return $"NexRelay:Catalog:Models:{model}:MaxOutputTokens=4096";
            }
            // Short enough that the slow upstream times out quickly; the others answer in milliseconds.
            yield return "NexRelay:Relay:FirstByteTimeout=00:00:01.500";
            yield return "NexRelay:Relay:RetryBackoff=00:00:00.050";
        }
    }
}
