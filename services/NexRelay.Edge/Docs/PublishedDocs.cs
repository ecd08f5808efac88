using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace NexRelay.Edge.Docs;

/// <summary>
/// The two OpenAPI documents, generated once per process from the mapped endpoints (<see cref="ApiDocTransformers"/>) and
/// kept as JSON: the Postman collection and the llms files are rendered from them, and each asset is then cached per base
/// URL (<see cref="DocsCache"/>). Nothing here runs on the request path of the API itself.
/// </summary>
internal sealed class PublishedDocs(IServiceProvider services)
{
    private readonly Lazy<Task<JsonObject>> _public = new(() => BuildAsync(services, ApiDocTransformers.PublicDocument));
    private readonly Lazy<Task<JsonObject>> _admin = new(() => BuildAsync(services, ApiDocTransformers.AdminDocument));

    public Task<JsonObject> PublicAsync() => _public.Value;

    public Task<JsonObject> AdminAsync() => _admin.Value;

    /// <summary>A copy of <paramref name="document"/> that names <paramref name="baseUrl"/> as its server.</summary>
    public static JsonObject ForBase(JsonObject document, string baseUrl)
    {
        var copy = document.DeepClone().AsObject();
        copy["servers"] = new JsonArray(new JsonObject { ["url"] = baseUrl, ["description"] = "NexRelay edge" });
        return copy;
    }

    private static async Task<JsonObject> BuildAsync(IServiceProvider services, string name)
    {
        var generated = await services.GetRequiredKeyedService<IOpenApiDocumentProvider>(name).GetOpenApiDocumentAsync();
        var document = JsonNode.Parse(await generated.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1))!.AsObject();
        // Microsoft.OpenApi writes 3.1.1; the published documents have always said 3.1.0 (the same specification, and
        // what the reference's clients and tests check).
        document["openapi"] = "3.1.0";
        var components = document["components"] as JsonObject ?? new JsonObject();
        document["components"] = components;
        components["schemas"] = VendorSchemas.Closure(document);
        return document;
    }
}
