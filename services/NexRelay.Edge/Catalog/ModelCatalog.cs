using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Catalog;

/// <summary>A provider as the relay uses it: its wire format, where it lives and how to authenticate.</summary>
public sealed record Provider(string Name, UpstreamKind Kind, Uri BaseUrl, string? ApiKey, string AnthropicVersion);

public sealed record ModelUpstream(Provider Provider, string Model);

/// <summary>Prices in micro-USD per million tokens: integer, so cost arithmetic stays exact.</summary>
public sealed record ModelPrices(long InputMicrosPerM, long CachedInputMicrosPerM, long OutputMicrosPerM);

/// <param name="HiddenReasoningTokensPerSecond">How fast the model reasons unseen before it writes: charges an abandoned
/// request for its upstream's silence (Charging/RequestCharger.cs).</param>
public sealed record CatalogModel(
    string Id, string DisplayName, string OwnedBy, int ContextWindow, int MaxOutputTokens, ModelPrices Prices,
    IReadOnlyList<ModelUpstream> Upstreams, int HiddenReasoningTokensPerSecond = 0);

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
        return new Provider(name, kind, uri, p.ApiKey, p.AnthropicVersion);
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
        var prices = new ModelPrices(PerMillion(m.Prices.Input, id), PerMillion(m.Prices.CachedInput, id), PerMillion(m.Prices.Output, id));
        return new CatalogModel(id, m.DisplayName ?? id, m.OwnedBy, m.ContextWindow, m.MaxOutputTokens, prices, upstreams,
            m.HiddenReasoningTokensPerSecond);
    }

    private static long PerMillion(decimal usdPerMillion, string id) =>
        NexRelay.Contracts.Money.Micros.TryParseUsd(usdPerMillion, out var micros) && micros >= 0 ? micros
            : throw new OptionsValidationException(CatalogOptions.SectionName, typeof(CatalogOptions),
                [$"NexRelay:Catalog:Models:{id}:Prices must be non-negative USD amounts with at most 6 decimals."]);
}
