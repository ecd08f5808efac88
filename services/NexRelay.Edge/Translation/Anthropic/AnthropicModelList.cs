using System.Text.Json.Serialization;
using NexRelay.Edge.Catalog;

namespace NexRelay.Edge.Translation.Anthropic;

/// <summary>
/// Anthropic's <c>GET /v1/models</c> (<c>{"data":[…],"first_id","last_id","has_more"}</c>) and <c>GET /v1/models/{id}</c>, for
/// callers that send <c>anthropic-version</c> (Claude Code, the Anthropic SDKs). One page holds every model the key may use.
/// </summary>
internal sealed class AnthropicModelList : IModelListShape
{
    public static readonly AnthropicModelList Instance = new();

    /// <summary>The catalog has no release dates; one fixed date keeps the listing stable (as OpenAI's list does).</summary>
    private const string Created = "2026-01-01T00:00:00Z";

    public Task WriteListAsync(HttpResponse response, IEnumerable<CatalogModel> models, CancellationToken ct)
    {
        List<AnthropicModel> data = [.. models.Select(Model)];
        return response.WriteAsJsonAsync(new AnthropicModels(data, data.Count > 0 ? data[0].Id : null, data.Count > 0 ? data[^1].Id : null, false),
            AnthropicModelJson.Default.AnthropicModels, "application/json", ct);
    }

    public Task WriteModelAsync(HttpResponse response, CatalogModel model, CancellationToken ct) =>
        response.WriteAsJsonAsync(Model(model), AnthropicModelJson.Default.AnthropicModel, "application/json", ct);

    private static AnthropicModel Model(CatalogModel m) => new(m.Id, "model", m.DisplayName, Created, m.ContextWindow, m.MaxOutputTokens);
}

internal sealed record AnthropicModel(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("display_name")] string DisplayName,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("max_input_tokens")] int MaxInputTokens,
    [property: JsonPropertyName("max_tokens")] int MaxTokens);

internal sealed record AnthropicModels(
    [property: JsonPropertyName("data")] IReadOnlyList<AnthropicModel> Data,
    [property: JsonPropertyName("first_id")] string? FirstId,
    [property: JsonPropertyName("last_id")] string? LastId,
    [property: JsonPropertyName("has_more")] bool HasMore);

[JsonSerializable(typeof(AnthropicModels))]
internal sealed partial class AnthropicModelJson : JsonSerializerContext;
