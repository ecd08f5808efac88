using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using NexRelay.Edge.Catalog;
using NexRelay.ServiceDefaults.Auth;
using Scalar.AspNetCore;

namespace NexRelay.Edge.Docs;

/// <summary>
/// The published machine-readable assets: <c>/openapi.json</c>, <c>/admin/openapi.json</c> (admin token), <c>/postman-collection.json</c>,
/// <c>/.well-known/ai-plugin.json</c>, <c>/llms.txt</c>, <c>/llms-full.txt</c> and <c>/docs</c> (Scalar). No customer key needed.
/// All are rendered from the OpenAPI documents generated from the mapped endpoints (<see cref="PublishedDocs"/>).
/// </summary>
internal static class DocsApi
{
    public static IServiceCollection AddEdgeDocs(this IServiceCollection services)
    {
        services.AddOptions<DocsOptions>().BindConfiguration("NexRelay").ValidateDataAnnotations().ValidateOnStart();
        services.AddOpenApi(ApiDocTransformers.PublicDocument, o => ApiDocTransformers.Configure(o, admin: false));
        services.AddOpenApi(ApiDocTransformers.AdminDocument, o => ApiDocTransformers.Configure(o, admin: true));
        services.AddSingleton<PublishedDocs>();
        services.AddSingleton<DocsCache>();
        return services;
    }

    public static IEndpointRouteBuilder MapDocsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("Docs").ExcludeFromDescription();
        group.MapGet("/openapi.json", (HttpContext http, DocsCache cache, PublishedDocs docs) =>
            cache.ServeAsync(http, "openapi.json", "application/json", async b => Json(PublishedDocs.ForBase(await docs.PublicAsync(), b)))).WithName("OpenApiDocument");
        group.MapGet("/admin/openapi.json", (HttpContext http, DocsCache cache, PublishedDocs docs) =>
            cache.ServeAsync(http, "admin-openapi.json", "application/json", async b => Json(PublishedDocs.ForBase(await docs.AdminAsync(), b))))
            .WithName("AdminOpenApiDocument").RequireAuthorization(NexRelayAuth.AdminPolicy);
        group.MapGet("/postman-collection.json", (HttpContext http, DocsCache cache, PublishedDocs docs) =>
            cache.ServeAsync(http, "postman", "application/json", async b => Json(PostmanWriter.Collection(await docs.PublicAsync(), b)))).WithName("PostmanCollection");
        group.MapGet("/.well-known/ai-plugin.json", (HttpContext http, DocsCache cache) =>
            cache.ServeAsync(http, "ai-plugin", "application/json", b => Task.FromResult(Json(PluginManifest(b))))).WithName("AiPluginManifest");
        group.MapGet("/llms.txt", (HttpContext http, DocsCache cache, PublishedDocs docs) =>
            cache.ServeAsync(http, "llms.txt", "text/plain; charset=utf-8", async b => Encoding.UTF8.GetBytes(LlmsWriter.Index(await docs.PublicAsync(), b)))).WithName("LlmsTxt");
        group.MapGet("/llms-full.txt", (HttpContext http, DocsCache cache, PublishedDocs docs, ModelCatalog catalog) =>
            cache.ServeAsync(http, "llms-full.txt", "text/plain; charset=utf-8",
                async b => Encoding.UTF8.GetBytes(LlmsWriter.Full(await docs.PublicAsync(), await docs.AdminAsync(), b, catalog)))).WithName("LlmsFullTxt");
        app.MapScalarApiReference("/docs", o => o.WithTitle("NexRelay API reference").AddDocument("nexrelay", "NexRelay API", "/openapi.json"));
        return app;
    }

    /// <summary>The plugin manifest (the ai-plugin.json shape): auth is a user-supplied bearer key, the API is the OpenAPI document.</summary>
    internal static JsonObject PluginManifest(string baseUrl) => new()
    {
        ["schema_version"] = "v1",
        ["name_for_human"] = "NexRelay",
        ["name_for_model"] = "nexrelay",
        ["description_for_human"] = "One key for OpenAI-, Anthropic- and Gemini-compatible models, with budgets and usage logs.",
        ["description_for_model"] = ApiDocTransformers.Summary + " Use the self-service routes to read the key's policy, credits, logs and usage.",
        ["auth"] = new JsonObject { ["type"] = "user_http", ["authorization_type"] = "bearer" },
        ["api"] = new JsonObject { ["type"] = "openapi", ["url"] = baseUrl + "/openapi.json", ["is_user_authenticated"] = true },
        ["logo_url"] = baseUrl + "/favicon.ico",
        ["contact_email"] = "support@nexrelay.dev",
        ["legal_info_url"] = baseUrl + "/llms.txt",
    };

    private static byte[] Json(JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node, JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };
}

/// <summary>
/// Rendered assets per (asset, base URL): they never change while the process runs. Without a configured public base URL
/// the base comes from the Host header, so the number of cached bases is capped; past the cap assets are rendered uncached.
/// </summary>
internal sealed class DocsCache(IOptions<DocsOptions> options)
{
    private const int MaxBases = 32;
    private readonly ConcurrentDictionary<(string Asset, string BaseUrl), byte[]> _rendered = new();
    private readonly string? _publicBaseUrl = string.IsNullOrWhiteSpace(options.Value.PublicBaseUrl) ? null : options.Value.PublicBaseUrl.TrimEnd('/');

    public string BaseUrl(HttpRequest request) => _publicBaseUrl ?? $"{request.Scheme}://{request.Host}{request.PathBase}".TrimEnd('/');

    public async Task<IResult> ServeAsync(HttpContext http, string asset, string contentType, Func<string, Task<byte[]>> render)
    {
        var baseUrl = BaseUrl(http.Request);
        var key = (asset, baseUrl);
        if (!_rendered.TryGetValue(key, out var bytes))
        {
            bytes = await render(baseUrl);
            if (_rendered.Count < MaxBases * 8) _rendered.TryAdd(key, bytes);
        }
        return TypedResults.Bytes(bytes, contentType);
    }
}
