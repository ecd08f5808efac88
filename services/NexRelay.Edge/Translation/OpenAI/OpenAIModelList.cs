using System.Text.Json.Serialization;
using NexRelay.Contracts.Money;
using NexRelay.Edge.Catalog;

namespace NexRelay.Edge.Translation.OpenAI;

/// <summary>OpenAI's <c>GET /models</c> (<c>{"object":"list","data":[…]}</c>) and <c>GET /models/{id}</c>.</summary>
internal sealed class OpenAIModelList : IModelListShape
{
    public static readonly OpenAIModelList Instance = new();

    /// <summary>The catalog has no creation dates; one fixed date keeps the listing stable.</summary>
    private static readonly long Created = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();

    public Task WriteListAsync(HttpResponse response, IEnumerable<CatalogModel> models, CancellationToken ct) =>
        response.WriteAsJsonAsync(new OpenAIModels("list", [.. models.Select(Model)]), OpenAIModelJson.Default.OpenAIModels, "application/json", ct);

    public Task WriteModelAsync(HttpResponse response, CatalogModel model, CancellationToken ct) =>
        response.WriteAsJsonAsync(Model(model), OpenAIModelJson.Default.OpenAIModel, "application/json", ct);

    /// <summary>
    /// OpenAI's four fields, then NexRelay's: the prices a key holder pays (USD per million tokens, as OpenRouter and other
    /// gateways list them) and the limits. Clients that read OpenAI's fields only, the SDKs included, ignore the rest.
    /// </summary>
    private static OpenAIModel Model(CatalogModel m) => new(m.Id, "model", Created, m.OwnedBy,
        new OpenAIModelPricing(Micros.ToUsd(m.Prices.InputMicrosPerM), Micros.ToUsd(m.Prices.CachedInputMicrosPerM), Micros.ToUsd(m.Prices.OutputMicrosPerM)),
        m.ContextWindow, m.MaxOutputTokens);
}

internal sealed record OpenAIModel(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy,
    [property: JsonPropertyName("pricing")] OpenAIModelPricing Pricing,
    [property: JsonPropertyName("context_window")] int ContextWindow,
    [property: JsonPropertyName("max_output_tokens")] int MaxOutputTokens);

internal sealed record OpenAIModelPricing(
    [property: JsonPropertyName("input_usd_per_million")] decimal InputUsdPerMillion,
    [property: JsonPropertyName("cached_input_usd_per_million")] decimal CachedInputUsdPerMillion,
    [property: JsonPropertyName("output_usd_per_million")] decimal OutputUsdPerMillion);

internal sealed record OpenAIModels(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("data")] IReadOnlyList<OpenAIModel> Data);

[JsonSerializable(typeof(OpenAIModels))]
internal sealed partial class OpenAIModelJson : JsonSerializerContext;
