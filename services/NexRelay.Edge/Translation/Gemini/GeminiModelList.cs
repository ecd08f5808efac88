using System.Text.Json.Serialization;
using NexRelay.Edge.Catalog;

namespace NexRelay.Edge.Translation.Gemini;

/// <summary>Gemini's <c>GET /v1beta/models</c> (<c>{"models":[…]}</c>) and <c>GET /v1beta/models/{id}</c>.</summary>
internal sealed class GeminiModelList : IModelListShape
{
    public static readonly GeminiModelList Instance = new();

    private static readonly string[] Methods = ["generateContent", "streamGenerateContent", "countTokens"];

    public Task WriteListAsync(HttpResponse response, IEnumerable<CatalogModel> models, CancellationToken ct) =>
        response.WriteAsJsonAsync(new GeminiModels([.. models.Select(Model)]), GeminiModelJson.Default.GeminiModels, "application/json", ct);

    public Task WriteModelAsync(HttpResponse response, CatalogModel model, CancellationToken ct) =>
        response.WriteAsJsonAsync(Model(model), GeminiModelJson.Default.GeminiModel, "application/json", ct);

    private static GeminiModel Model(CatalogModel m) => new(
        "models/" + m.Id, m.Id, "001", m.DisplayName, $"{m.DisplayName}, served through NexRelay.", m.ContextWindow, m.MaxOutputTokens, Methods);
}

internal sealed record GeminiModel(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("baseModelId")] string BaseModelId,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("displayName")] string DisplayName,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("inputTokenLimit")] int InputTokenLimit,
    [property: JsonPropertyName("outputTokenLimit")] int OutputTokenLimit,
    [property: JsonPropertyName("supportedGenerationMethods")] IReadOnlyList<string> SupportedGenerationMethods);

internal sealed record GeminiModels([property: JsonPropertyName("models")] IReadOnlyList<GeminiModel> Models);

[JsonSerializable(typeof(GeminiModels))]
internal sealed partial class GeminiModelJson : JsonSerializerContext;
