using System.Text.Json.Nodes;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Docs;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Relay;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Apis;

/// <summary>
/// Model listings: OpenAI's shape under <c>/api/v1/models</c>, Gemini's under <c>/v1beta/models</c>. <c>/v1/models</c> is
/// shared: Gemini's shape when the caller authenticates Google-style (<c>x-goog-api-key</c> or <c>?key=</c>), else OpenAI's.
/// A key sees only the models its policy allows.
/// </summary>
internal static class ModelsApi
{
    private static readonly long Created = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();

    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/models", (HttpContext http, KeyGate gate, ModelCatalog catalog) => ListAsync(http, gate, catalog, ClientFormat.OpenAIChat))
            .WithTags("OpenAI").WithName("ListModels")
            .WithApiDoc(PublicApiDocs.ListModels);
        app.MapGet("/api/v1/models/{id}", (HttpContext http, string id, KeyGate gate, ModelCatalog catalog) => GetAsync(http, gate, catalog, id, ClientFormat.OpenAIChat))
            .WithTags("OpenAI").WithName("GetModel")
            .WithApiDoc(PublicApiDocs.GetModel);
        app.MapGet("/v1/models", (HttpContext http, KeyGate gate, ModelCatalog catalog) => ListAsync(http, gate, catalog, SharedFormat(http)))
            .WithTags("OpenAI", "Gemini").WithName("ListModels_v1")
            .WithApiDoc(PublicApiDocs.ListModelsAnyShape);
        app.MapGet("/v1/models/{id}", (HttpContext http, string id, KeyGate gate, ModelCatalog catalog) => GetAsync(http, gate, catalog, id, SharedFormat(http)))
            .WithTags("OpenAI", "Gemini").WithName("GetModel_v1")
            .WithApiDoc(PublicApiDocs.GetModelAnyShape);
        app.MapGet("/v1beta/models", (HttpContext http, KeyGate gate, ModelCatalog catalog) => ListAsync(http, gate, catalog, ClientFormat.Gemini))
            .WithTags("Gemini").WithName("ListModels_v1beta")
            .WithApiDoc(PublicApiDocs.ListGeminiModels);
        app.MapGet("/v1beta/models/{id}", (HttpContext http, string id, KeyGate gate, ModelCatalog catalog) => GetAsync(http, gate, catalog, id, ClientFormat.Gemini))
            .WithTags("Gemini").WithName("GetModel_v1beta")
            .WithApiDoc(PublicApiDocs.GetGeminiModel);
        return app;
    }

    private static ClientFormat SharedFormat(HttpContext http) =>
        http.Request.Headers.ContainsKey("x-goog-api-key") || http.Request.Query.ContainsKey("key") ? ClientFormat.Gemini : ClientFormat.OpenAIChat;

    private static async Task ListAsync(HttpContext http, KeyGate gate, ModelCatalog catalog, ClientFormat format)
    {
        var admission = await gate.AuthenticateAsync(http.Request, http.RequestAborted);
        if (admission.Error is not null) { await WriteErrorAsync(http, format, admission.Error); return; }
        var visible = catalog.Models.Where(m => gate.ModelAllowed(admission.Key!, m.Id));
        JsonObject body = format == ClientFormat.Gemini
            ? new JsonObject { ["models"] = new JsonArray([.. visible.Select(GeminiModel)]) }
            : new JsonObject { ["object"] = "list", ["data"] = new JsonArray([.. visible.Select(OpenAIModel)]) };
        await WriteJsonAsync(http, body);
    }

    private static async Task GetAsync(HttpContext http, KeyGate gate, ModelCatalog catalog, string id, ClientFormat format)
    {
        var admission = await gate.AuthenticateAsync(http.Request, http.RequestAborted);
        if (admission.Error is not null) { await WriteErrorAsync(http, format, admission.Error); return; }
        if (id.StartsWith("models/", StringComparison.Ordinal)) id = id["models/".Length..];
        if (!catalog.TryGet(id, out var model) || !gate.ModelAllowed(admission.Key!, id))
        {
            await WriteErrorAsync(http, format, EdgeError.UnknownModel(id));
            return;
        }
        await WriteJsonAsync(http, format == ClientFormat.Gemini ? GeminiModel(model) : OpenAIModel(model));
    }

    private static JsonObject OpenAIModel(CatalogModel m) => new()
    {
        ["id"] = m.Id,
        ["object"] = "model",
        ["created"] = Created,
        ["owned_by"] = m.OwnedBy,
    };

    private static JsonObject GeminiModel(CatalogModel m) => new()
    {
        ["name"] = "models/" + m.Id,
        ["baseModelId"] = m.Id,
        ["version"] = "001",
        ["displayName"] = m.DisplayName,
        ["description"] = $"{m.DisplayName}, served through NexRelay.",
        ["inputTokenLimit"] = m.ContextWindow,
        ["outputTokenLimit"] = m.MaxOutputTokens,
        ["supportedGenerationMethods"] = new JsonArray("generateContent", "streamGenerateContent", "countTokens"),
    };

    private static async Task WriteJsonAsync(HttpContext http, JsonNode body)
    {
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString(), http.RequestAborted);
    }

    public static Task WriteErrorAsync(HttpContext http, ClientFormat format, EdgeError error) => ErrorWriters.WriteAsync(http, format, error);
}
