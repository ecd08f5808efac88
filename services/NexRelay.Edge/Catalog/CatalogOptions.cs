using System.ComponentModel.DataAnnotations;

namespace NexRelay.Edge.Catalog;

/// <summary>
/// Operator configuration under <c>NexRelay:Catalog</c>: the upstream providers (kind, base URL, credential) and the public
/// models, each served by one or more upstreams in failover order.
/// </summary>
public sealed class CatalogOptions
{
    public const string SectionName = "NexRelay:Catalog";

    [Required, MinLength(1)]
    public Dictionary<string, ProviderOptions> Providers { get; set; } = [];

    [Required, MinLength(1)]
    public Dictionary<string, ModelOptions> Models { get; set; } = [];
}

public sealed class ProviderOptions
{
    /// <summary>openai (chat-completions compatible), anthropic or gemini.</summary>
    [Required]
    public string Kind { get; set; } = "";

    /// <summary>Base URL including the API version segment, e.g. https://api.openai.com/v1/, https://api.anthropic.com/v1/, https://generativelanguage.googleapis.com/v1beta/.</summary>
    [Required]
    public string BaseUrl { get; set; } = "";

    /// <summary>The upstream credential: a secret, never logged (set it from a secret store / environment).</summary>
    public string? ApiKey { get; set; }

    /// <summary>Anthropic API version header.</summary>
    public string AnthropicVersion { get; set; } = "2023-06-01";

    /// <summary>
    /// OpenAI kind only: the provider serves the Responses API (<c>POST …/responses</c>), so Responses requests pass through to
    /// it natively (custom and hosted tools, encrypted reasoning survive); false for OpenAI-compatible servers that only have
    /// Chat Completions, which Responses requests are then translated to. Default: true.
    /// </summary>
    public bool? Responses { get; set; }
}

public sealed class ModelOptions
{
    [Required, MinLength(1)]
    public List<ModelUpstreamOptions> Upstreams { get; set; } = [];

    /// <summary>USD per million tokens.</summary>
    [Required]
    public PriceOptions Prices { get; set; } = new();

    [Range(1, int.MaxValue)]
    public int ContextWindow { get; set; } = 128_000;

    [Range(1, int.MaxValue)]
    public int MaxOutputTokens { get; set; } = 16_384;

    /// <summary>
    /// Tokens per second the model spends on reasoning it does not stream (OpenAI's reasoning models). A request abandoned
    /// before its usage arrived is charged for its upstream's silence at this rate; 0 for models whose thinking is visible.
    /// </summary>
    [Range(0, 1_000_000)]
    public int HiddenReasoningTokensPerSecond { get; set; }

    /// <summary>
    /// Refuse (400) a request naming a tool NexRelay would drop on the way to this model's upstream (hosted tools it cannot
    /// translate or price), instead of relaying without it and naming it in <c>x-nexrelay-dropped-tools</c>. Default: false.
    /// </summary>
    public bool RefuseDroppedTools { get; set; }

    public string? DisplayName { get; set; }
    public string OwnedBy { get; set; } = "nexrelay";
}

public sealed class ModelUpstreamOptions
{
    /// <summary>A key of <see cref="CatalogOptions.Providers"/>.</summary>
    [Required]
    public string Provider { get; set; } = "";

    /// <summary>The model name the upstream knows (defaults to the public id).</summary>
    public string? Model { get; set; }
}

public sealed class PriceOptions
{
    [Range(typeof(decimal), "0", "1000000")]
    public decimal Input { get; set; }
    [Range(typeof(decimal), "0", "1000000")]
    public decimal CachedInput { get; set; }
    [Range(typeof(decimal), "0", "1000000")]
    public decimal Output { get; set; }

    /// <summary>Prompt-cache writes, five-minute lifetime (Anthropic bills 1.25 × input). Unset: the input price.</summary>
    [Range(typeof(decimal), "0", "1000000")]
    public decimal? CacheWrite { get; set; }

    /// <summary>Prompt-cache writes, one-hour lifetime (Anthropic bills 2 × input). Unset: the input price.</summary>
    [Range(typeof(decimal), "0", "1000000")]
    public decimal? CacheWrite1h { get; set; }
}
