using NexRelay.Edge.Catalog;
using NexRelay.Edge.Docs;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Relay;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Apis;

/// <summary>
/// Model listings, in the shape of the route's format (<see cref="IClientFormat.ModelList"/>): OpenAI's under
/// <c>/api/v1/models</c>, Gemini's under <c>/v1beta/models</c>; <c>/v1/models</c> is shared and follows the caller's
/// credentials (<see cref="FormatRegistry.ByCredentials"/>). A key sees only the models its policy allows.
/// </summary>
internal static class ModelsApi
{
    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/models", ListAsync).WithTags("OpenAI").WithName("ListModels")
            .Speaks(ClientFormat.OpenAIChat).RequireKey()
            .WithApiDoc(PublicApiDocs.ListModels);
        app.MapGet("/api/v1/models/{id}", GetAsync).WithTags("OpenAI").WithName("GetModel")
            .Speaks(ClientFormat.OpenAIChat).RequireKey()
            .WithApiDoc(PublicApiDocs.GetModel);
        app.MapGet("/v1/models", ListAsync).WithTags("OpenAI", "Gemini").WithName("ListModels_v1")
            .Speaks(RouteFormat.ByCredentials).RequireKey()
            .WithApiDoc(PublicApiDocs.ListModelsAnyShape);
        app.MapGet("/v1/models/{id}", GetAsync).WithTags("OpenAI", "Gemini").WithName("GetModel_v1")
            .Speaks(RouteFormat.ByCredentials).RequireKey()
            .WithApiDoc(PublicApiDocs.GetModelAnyShape);
        app.MapGet("/v1beta/models", ListAsync).WithTags("Gemini").WithName("ListModels_v1beta")
            .Speaks(ClientFormat.Gemini).RequireKey()
            .WithApiDoc(PublicApiDocs.ListGeminiModels);
        app.MapGet("/v1beta/models/{id}", GetAsync).WithTags("Gemini").WithName("GetModel_v1beta")
            .Speaks(ClientFormat.Gemini).RequireKey()
            .WithApiDoc(PublicApiDocs.GetGeminiModel);
        return app;
    }

    private static Task ListAsync(HttpContext http, KeyGate gate, ModelCatalog catalog)
    {
        var key = http.AdmittedKey();
        return Shape(http).WriteListAsync(http.Response, catalog.Models.Where(m => gate.ModelAllowed(key, m.Id)), http.RequestAborted);
    }

    private static Task GetAsync(HttpContext http, string id, KeyGate gate, ModelCatalog catalog)
    {
        if (id.StartsWith("models/", StringComparison.Ordinal)) id = id["models/".Length..];
        if (!catalog.TryGet(id, out var model) || !gate.ModelAllowed(http.AdmittedKey(), id))
        {
            return ErrorWriters.WriteAsync(http, http.ClientFormat(), EdgeError.UnknownModel(id));
        }
        return Shape(http).WriteModelAsync(http.Response, model, http.RequestAborted);
    }

    private static IModelListShape Shape(HttpContext http) =>
        http.ClientFormat().ModelList ?? throw new InvalidOperationException($"{http.ClientFormat().WireName} has no model list.");
}
