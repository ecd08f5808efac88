using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Extensions.DependencyInjection;
using NexRelay.Edge.Docs;

namespace NexRelay.Edge.Tests.Docs;

/// <summary>
/// The route table exists once: the published documents are generated from the edge's mapped endpoints, and this checks
/// both ways that they agree. A route is public unless it says otherwise: <c>ExcludeFromDescription</c> (the docs assets,
/// the admin forwarding, the internal spool hand-off) or a route without an HTTP method of its own (the health checks).
/// Admin routes forward to other services and are published in the admin document from their forwarding metadata.
/// </summary>
public sealed class RouteTableTests(DocsHost host) : IClassFixture<DocsHost>
{
    private IReadOnlyList<RouteEndpoint> Endpoints =>
        [.. host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()];

    private static bool IsPublic(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true }
        && endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is { HttpMethods.Count: > 0 };

    [Fact]
    public async Task Every_public_route_is_documented_and_every_documented_route_is_mapped()
    {
        var document = await host.Services.GetRequiredService<PublishedDocs>().PublicAsync();
        var documented = DocumentOperation.All(document).ToList();
        var routes = Endpoints.Where(IsPublic).ToList();
        Assert.NotEmpty(routes);

        var undocumented = routes
            .SelectMany(r => r.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(m => (Route: r, Method: m)))
            .Where(r => !documented.Any(d => d.Method == r.Method && Serves(r.Route, d.Path)))
            .Select(r => $"{r.Method} {r.Route.RoutePattern.RawText}");
        Assert.Empty(undocumented);

        var unmapped = documented.Where(d => !routes.Any(r => Accepts(r, d.Method) && Serves(r, d.Path))).Select(d => $"{d.Method} {d.Path}");
        Assert.Empty(unmapped);

        // Each route publishes every operation it carries a doc for (a Google custom-method route: one per method).
        foreach (var route in routes)
        {
            var docs = route.Metadata.GetOrderedMetadata<ApiDoc>();
            Assert.True(docs.Count > 0, $"{route.RoutePattern.RawText} has no ApiDoc");
            Assert.All(docs, doc => Assert.Contains(documented, d => d.Operation["operationId"]!.GetValue<string>() == doc.OperationId));
        }
        var ids = documented.Select(d => d.Operation["operationId"]!.GetValue<string>()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task Every_admin_route_forwards_documented_operations_and_every_documented_admin_operation_is_forwarded()
    {
        var document = await host.Services.GetRequiredService<PublishedDocs>().AdminAsync();
        var documented = DocumentOperation.All(document).ToList();
        Assert.NotEmpty(documented);
        var admin = Endpoints.Where(e => e.RoutePattern.RawText?.StartsWith("/admin/v1/", StringComparison.Ordinal) == true).ToList();
        Assert.NotEmpty(admin);
        Assert.All(admin, e => Assert.NotEmpty(e.Metadata.GetOrderedMetadata<ForwardedApiDocs>()));

        var unmapped = documented
            .Where(d => !admin.Any(r => Accepts(r, d.Method) && Serves(r, d.Path)
                && r.Metadata.GetOrderedMetadata<ForwardedApiDocs>().Any(a => a.Operations.Any(o => o.Method == d.Method && o.Path == d.Path))))
            .Select(d => $"{d.Method} {d.Path}");
        Assert.Empty(unmapped);
        Assert.Equal(admin.SelectMany(e => e.Metadata.GetOrderedMetadata<ForwardedApiDocs>()).Distinct().Sum(a => a.Operations.Count), documented.Count);
    }

    [Fact]
    public async Task Every_schema_file_is_published_and_every_published_schema_has_a_file()
    {
        var docs = host.Services.GetRequiredService<PublishedDocs>();
        var published = new[] { await docs.PublicAsync(), await docs.AdminAsync() }
            .SelectMany(d => d["components"]!["schemas"]!.AsObject().Select(s => s.Key)).ToHashSet();
        var files = typeof(PublishedDocs).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("NexRelay.Edge.Docs.Schemas.", StringComparison.Ordinal))
            .Select(n => n["NexRelay.Edge.Docs.Schemas.".Length..^".json".Length]).ToHashSet();
        Assert.Equal(files.Order(), published.Order());
        Assert.Contains("ChatCompletionRequest", files);
        // Schemas are published as written: a numeric const stays a number.
        var n = (await docs.PublicAsync())["components"]!["schemas"]!["ChatCompletionRequest"]!["properties"]!["n"]!;
        Assert.Equal(JsonValueKindOf(1), n["const"]!.GetValueKind());
    }

    [Fact]
    public async Task Documents_are_generated_once_and_served_from_the_cache()
    {
        var docs = host.Services.GetRequiredService<PublishedDocs>();
        Assert.Same(await docs.PublicAsync(), await docs.PublicAsync());
        Assert.Same(await docs.AdminAsync(), await docs.AdminAsync());

        var first = await host.Client.GetByteArrayAsync("/openapi.json");
        var second = await host.Client.GetByteArrayAsync("/openapi.json");
        Assert.Equal(first, second);
        var served = JsonNode.Parse(first)!;
        Assert.Equal("3.1.0", served["openapi"]!.GetValue<string>());
        Assert.Equal(host.Client.BaseAddress!.ToString().TrimEnd('/'), served["servers"]![0]!["url"]!.GetValue<string>());
        // The cached document itself names no server: each base URL gets its own copy.
        Assert.Null((await docs.PublicAsync())["servers"]?.AsArray().FirstOrDefault());
    }

    private static System.Text.Json.JsonValueKind JsonValueKindOf(int value) => JsonValue.Create(value).GetValueKind();

    private static bool Accepts(RouteEndpoint route, string method) =>
        route.Metadata.GetMetadata<IHttpMethodMetadata>() is not { HttpMethods.Count: > 0 } methods || methods.HttpMethods.Contains(method);

    /// <summary>Whether the route's template matches the documented path with each parameter filled in.</summary>
    private static bool Serves(RouteEndpoint route, string documentedPath)
    {
        var concrete = string.Join('/', documentedPath.Split('/').Select(segment =>
            string.Join(':', segment.Split(':').Select(part => part.StartsWith('{') ? "sample-" + part.Trim('{', '}') : part))));
        return new TemplateMatcher(new RouteTemplate(route.RoutePattern), new RouteValueDictionary()).TryMatch(new PathString(concrete), new RouteValueDictionary());
    }
}
