using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Catalog;

/// <summary>A provider as the relay uses it: its wire format, where it lives and how to authenticate.</summary>
/// <param name="ServesResponses">An OpenAI-kind provider that serves the Responses API: Responses requests pass through to it.</param>
public sealed record Provider(string Name, UpstreamKind Kind, Uri BaseUrl, string? ApiKey, string AnthropicVersion, bool ServesResponses = false);

public sealed record ModelUpstream(Provider Provider, string Model);

/// <summary>Prices in micro-USD per million tokens: integer, so cost arithmetic stays exact.</summary>
public sealed record ModelPrices(long InputMicrosPerM, long CachedInputMicrosPerM, long OutputMicrosPerM)
{
    /// <summary>Prompt-cache writes with the default five-minute lifetime (Anthropic: 1.25 × input); null: the input price.</summary>
    public long? CacheWriteMicrosPerM { get; init; }

    /// <summary>Prompt-cache writes with a one-hour lifetime (Anthropic: 2 × input); null: the input price.</summary>
    public long? CacheWrite1hMicrosPerM { get; init; }

    /// <summary>The dearest an input token can be (read, written to the cache or plain): the hold reserves each at this.</summary>
    public long WorstInputMicrosPerM =>
        Math.Max(Math.Max(InputMicrosPerM, CachedInputMicrosPerM), Math.Max(CacheWriteMicrosPerM ?? 0, CacheWrite1hMicrosPerM ?? 0));
}

/// <param name="HiddenReasoningTokensPerSecond">How fast the model reasons unseen before it writes: charges an abandoned
/// request for its upstream's silence (Charging/RequestCharger.cs).</param>
public sealed record CatalogModel(
    string Id, string DisplayName, string OwnedBy, int ContextWindow, int MaxOutputTokens, ModelPrices Prices,
    IReadOnlyList<ModelUpstream> Upstreams, int HiddenReasoningTokensPerSecond = 0)
{
    /// <summary>A request naming a tool that would be dropped on the way (<see cref="ChatRequest.DroppedTools"/>) is refused, not relayed without it.</summary>
    public bool RefusesDroppedTools { get; init; }
}

/// <summary>The public models, validated and frozen at start.</summary>
public sealed class ModelCatalog
{
    private readonly FrozenDictionary<string, CatalogModel> _models;

    public ModelCatalog(IOptions<CatalogOptions> options)
    {
        var o = options.Value;
        var providers = o.Providers.ToDictionary(p => p.Key, p => ToProvider(p.Key, p.Value), StringComparer.Ordinal);
        _models = o.Models.ToFrozenDictionary(m => m.Key, m => ToModel(m.Key, m.Value, providers), StringComparer.Ordinal);
        Models = [.. _models.Values.OrderBy(m => m.Id, StringComparer.Ordinal)];
    }

    public IReadOnlyList<CatalogModel> Models { get; }

    public bool TryGet(string id, out CatalogModel model) => _models.TryGetValue(id, out model!);

    private static Provider ToProvider(string name, ProviderOptions p)
    {
        var kind = p.Kind.ToLowerInvariant() switch
        {
            "openai" => UpstreamKind.OpenAI,
            "anthropic" => UpstreamKind.Anthropic,
            "gemini" => UpstreamKind.Gemini,
            _ => throw new OptionsValidationException(CatalogOptions.SectionName, typeof(CatalogOptions),
                [$"NexRelay:Catalog:Providers:{name}:Kind must be openai, anthropic or gemini, not '{p.Kind}'."]),
        };
        var baseUrl = p.BaseUrl.EndsWith('/') ? p.BaseUrl : p.BaseUrl + "/";
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new OptionsValidationException(CatalogOptions.SectionName, typeof(CatalogOptions),
                [$"NexRelay:Catalog:Providers:{name}:BaseUrl must be an absolute http(s) URL, not '{p.BaseUrl}'."]);
        }
        return new Provider(name, kind, uri, p.ApiKey, p.AnthropicVersion, kind == UpstreamKind.OpenAI && (p.Responses ?? true));
    }

    private static CatalogModel ToModel(string id, ModelOptions m, Dictionary<string, Provider> providers)
    {
        var upstreams = m.Upstreams.Select(u => providers.TryGetValue(u.Provider, out var p)
            ? new ModelUpstream(p, string.IsNullOrWhiteSpace(u.Model) ? id : u.Model)
            : throw new OptionsValidationException(CatalogOptions.SectionName, typeof(CatalogOptions),
                [$"NexRelay:Catalog:Models:{id}:Upstreams names provider '{u.Provider}', which is not under NexRelay:Catalog:Providers."])).ToList();
        if (upstreams.Count == 0)
        {
            throw new OptionsValidationException(CatalogOptions.SectionName, typeof(CatalogOptions),
                [$"NexRelay:Catalog:Models:{id}:Upstreams must list at least one upstream."]);
        }
        var prices = new ModelPrices(PerMillion(m.Prices.Input, id), PerMillion(m.Prices.CachedInput, id), PerMillion(m.Prices.Output, id))
        {
            CacheWriteMicrosPerM = m.Prices.CacheWrite is { } write ? PerMillion(write, id) : null,
            CacheWrite1hMicrosPerM = m.Prices.CacheWrite1h is { } write1h ? PerMillion(write1h, id) : null,
        };
        return new CatalogModel(id, m.DisplayName ?? id, m.OwnedBy, m.ContextWindow, m.MaxOutputTokens, prices, upstreams,
            m.HiddenReasoningTokensPerSecond) { RefusesDroppedTools = m.RefuseDroppedTools };
    }

    private static long PerMillion(decimal usdPerMillion, string id) =>
        NexRelay.Contracts.Money.Micros.TryParseUsd(usdPerMillion, out var micros) && micros >= 0 ? micros
            : throw new OptionsValidationException(CatalogOptions.SectionName, typeof(CatalogOptions),
                [$"NexRelay:Catalog:Models:{id}:Prices must be non-negative USD amounts with at most 6 decimals."]);
}
