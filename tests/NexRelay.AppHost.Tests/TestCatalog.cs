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

    /// <summary>Per upstream kind: headers after 1 s (a client leaves before them).</summary>
    public static string LateHeaders(string kind) => "test-late-" + kind;
    /// <summary>Per upstream kind: headers at once, then a token a second (a client leaves before or after the first).</summary>
    public static string Drip(string kind) => "test-drip-" + kind;
    /// <summary>Per upstream kind: all text at once, the closing events (finish, usage) 3 s later.</summary>
    public static string LateFinish(string kind) => "test-late-finish-" + kind;
    /// <summary>Thinks unseen for 30 tokens × 100 ms before writing; the catalog says it reasons at 100 tokens a second.</summary>
    public const string Thinker = "test-thinker";
    /// <summary>A non-streamed answer takes 2.5 s: longer than the streaming first-byte timeout.</summary>
    public const string Generating = "test-generating";
    /// <summary>Its own upstream (and so its own circuit breaker); requests choose their delay with a prompt directive.</summary>
    public const string BreakerSlow = "test-breaker-slow";
    /// <summary>An upstream on a closed port: every attempt is a connection failure.</summary>
    public const string Unreachable = "test-unreachable";
    /// <summary>Priced at zero (a free tier).</summary>
    public const string Free = "test-free";
    /// <summary>Upstreams reporting impossible usage: more output than allowed, negative input, input near long.MaxValue.</summary>
    public const string UsageHuge = "test-usage-huge";
    public const string UsageNegative = "test-usage-negative";
    public const string UsageAbsurd = "test-usage-absurd";
    /// <summary>Streams a token every 200 ms (60 tokens: 12 s); priced high so a small wallet must hold per request.</summary>
    public const string LongStream = "test-long-stream";
    /// <summary>Its upstream answers 401: NexRelay's own provider key is refused.</summary>
    public const string CredentialsRefused = "test-credentials-refused";
    /// <summary>$1 an output token and 2,000,000 of them allowed: a worst case over billing's largest hold ($1,000,000).</summary>
    public const string Priceless = "test-priceless";

    /// <summary>An OpenAI-compatible upstream without the Responses API: Responses requests are translated to Chat Completions.</summary>
    public const string ChatOnly = "test-chat-only";
    /// <summary>An Anthropic upstream whose model refuses requests naming tools NexRelay would drop, instead of dropping them.</summary>
    public const string StrictTools = "test-strict-tools";

    public static readonly string[] Kinds = ["openai", "anthropic", "gemini"];

    private static string ApiPath(string kind) => kind == "gemini" ? "v1beta/" : "v1/";

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
                ["sim-thinker"] = ("openai", "knobs/hidden-reasoning=30;token-delay-ms=100/v1/"),
                ["sim-generating"] = ("openai", "knobs/first-byte-delay-ms=2500/v1/"),
                ["sim-breaker-slow"] = ("openai", "v1/"),
                ["sim-usage-huge"] = ("openai", "knobs/usage-output=1000000/v1/"),
                ["sim-usage-negative"] = ("openai", "knobs/usage-input=-50/v1/"),
                ["sim-usage-absurd"] = ("openai", "knobs/usage-input=9223372036854775000/v1/"),
                ["sim-long-stream"] = ("anthropic", "knobs/token-delay-ms=200/v1/"),
                ["sim-credentials-refused"] = ("openai", "knobs/fail-status=401/v1/"),
            };
            foreach (var kind in Kinds)
            {
                providers["sim-late-" + kind] = (kind, "knobs/first-byte-delay-ms=1000/" + ApiPath(kind));
                providers["sim-drip-" + kind] = (kind, "knobs/token-delay-ms=1000/" + ApiPath(kind));
                providers["sim-late-finish-" + kind] = (kind, "knobs/finish-delay-ms=3000/" + ApiPath(kind));
            }
            foreach (var (name, (kind, path)) in providers)
            {
                yield return $"NexRelay:Catalog:Providers:{name}:Kind={kind}";
                yield return $"NexRelay:Catalog:Providers:{name}:BaseUrl=http://simulated-provider/{path}";
                yield return $"NexRelay:Catalog:Providers:{name}:ApiKey=sim-test-key";
            }
            yield return "NexRelay:Catalog:Providers:sim-chat-only:Kind=openai";
            yield return "NexRelay:Catalog:Providers:sim-chat-only:BaseUrl=http://simulated-provider/v1/";
            yield return "NexRelay:Catalog:Providers:sim-chat-only:ApiKey=sim-test-key";
            yield return "NexRelay:Catalog:Providers:sim-chat-only:Responses=false";
            // Port 9 (discard) is closed here: a connection is refused at once.
            yield return "NexRelay:Catalog:Providers:sim-unreachable:Kind=openai";
            yield return "NexRelay:Catalog:Providers:sim-unreachable:BaseUrl=http://127.0.0.1:9/v1/";
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
                [Thinker] = ["sim-thinker"],
                [Generating] = ["sim-generating"],
                [BreakerSlow] = ["sim-breaker-slow"],
                [Unreachable] = ["sim-unreachable"],
                [Free] = ["simulated-openai"],
                [UsageHuge] = ["sim-usage-huge"],
                [UsageNegative] = ["sim-usage-negative"],
                [UsageAbsurd] = ["sim-usage-absurd"],
                [LongStream] = ["sim-long-stream"],
                [CredentialsRefused] = ["sim-credentials-refused"],
                [Priceless] = ["simulated-openai"],
                [ChatOnly] = ["sim-chat-only"],
                [StrictTools] = ["simulated-anthropic"],
            };
            foreach (var kind in Kinds)
            {
                models[LateHeaders(kind)] = ["sim-late-" + kind];
                models[Drip(kind)] = ["sim-drip-" + kind];
                models[LateFinish(kind)] = ["sim-late-finish-" + kind];
            }
            foreach (var (model, upstreams) in models)
            {
                var (input, output) = model switch
                {
                    Free => ("0", "0"),
                    LongStream => ("100", "1000"),
                    Priceless => ("1", "1000000"),
                    _ => ("1", "2"),
                };
                for (var i = 0; i < upstreams.Length; i++) yield return $"NexRelay:Catalog:Models:{model}:Upstreams:{i}:Provider={upstreams[i]}";
                yield return $"NexRelay:Catalog:Models:{model}:Prices:Input={input}";
                yield return $"NexRelay:Catalog:Models:{model}:Prices:CachedInput={(model == Free ? "0" : "0.1")}";
                yield return $"NexRelay:Catalog:Models:{model}:Prices:Output={output}";
                yield return $"NexRelay:Catalog:Models:{model}:MaxOutputTokens={(model == Priceless ? 2_000_000 : 4096)}";
            }
            yield return $"NexRelay:Catalog:Models:{Thinker}:HiddenReasoningTokensPerSecond=100";
            yield return $"NexRelay:Catalog:Models:{StrictTools}:RefuseDroppedTools=true";
            // Short enough that the slow upstream times out quickly; the others answer in milliseconds.
            yield return "NexRelay:Relay:FirstByteTimeout=00:00:01.500";
            yield return "NexRelay:Relay:RetryBackoff=00:00:00.050";
        }
    }
}
