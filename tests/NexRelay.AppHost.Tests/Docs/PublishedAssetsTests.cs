using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace NexRelay.AppHost.Tests.Docs;

/// <summary>llms.txt, llms-full.txt, the plugin manifest and /docs; absolute URLs follow the public base URL.</summary>
[Collection(ClusterCollection.Name)]
public sealed partial class PublishedAssetsTests(ClusterFixture cluster)
{
    private string BaseUrl => cluster.EdgeUrl.ToString().TrimEnd('/');

    [Fact]
    public async Task Llms_txt_follows_the_llmstxt_format_with_absolute_links()
    {
        using var response = await cluster.Edge.GetAsync("/llms.txt");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n');

        Assert.Matches(@"^# \S", lines[0]);
        Assert.DoesNotContain(lines.Skip(1), l => l.StartsWith("# ", StringComparison.Ordinal));
        var firstContent = lines.Skip(1).First(l => l.Length > 0);
        Assert.StartsWith("> ", firstContent);
        var sections = lines.Where(l => l.StartsWith("## ", StringComparison.Ordinal)).ToList();
        Assert.Contains("## Docs", sections);
        Assert.Contains("## Optional", sections);
        var links = lines.Where(l => l.StartsWith("- ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(links);
        Assert.All(links, l => Assert.Matches(LinkLine(), l));
        Assert.All(links, l => Assert.Contains("](" + BaseUrl + "/", l));
        Assert.True(lines.TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)).All(l => !l.StartsWith("- ", StringComparison.Ordinal)),
            "link lists belong in ## sections");
        foreach (var asset in new[] { "/llms-full.txt", "/openapi.json", "/postman-collection.json", "/.well-known/ai-plugin.json", "/docs" })
        {
            Assert.Contains(links, l => l.Contains("](" + BaseUrl + asset, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Llms_full_txt_mentions_every_route_of_the_openapi_documents()
    {
        var full = await cluster.Edge.GetStringAsync("/llms-full.txt");
        var openapi = JsonNode.Parse(await cluster.Edge.GetStringAsync("/openapi.json"))!;
        using var admin = cluster.AdminClient();
        var adminDoc = JsonNode.Parse(await admin.GetStringAsync("/admin/openapi.json"))!;

        Assert.StartsWith("# ", full);
        var missing = new List<string>();
        foreach (var doc in new[] { openapi, adminDoc })
        {
            foreach (var (path, item) in doc["paths"]!.AsObject())
            {
                foreach (var (method, _) in item!.AsObject())
                {
                    if (!full.Contains($"{method.ToUpperInvariant()} {path}", StringComparison.Ordinal)) missing.Add($"{method.ToUpperInvariant()} {path}");
                }
            }
        }
        Assert.True(missing.Count == 0, "not in llms-full.txt: " + string.Join(", ", missing));
        foreach (var section in new[] { "## Authentication", "## Models", "## Errors", "## Limits", "## Response headers" }) Assert.Contains(section, full);
        foreach (var model in new[] { "gpt-5.4", "gpt-5.5", "claude-sonnet-4-6", "gemini-2.5-flash" }) Assert.Contains($"`{model}`", full);
        Assert.Contains($"curl -X POST '{BaseUrl}/api/v1/chat/completions'", full);
    }

    [Fact]
    public async Task Plugin_manifest_points_at_the_real_openapi_document_with_bearer_auth()
    {
        var manifest = JsonNode.Parse(await cluster.Edge.GetStringAsync("/.well-known/ai-plugin.json"))!;
        Assert.Equal("bearer", manifest["auth"]!["authorization_type"]!.GetValue<string>());
        Assert.Equal("openapi", manifest["api"]!["type"]!.GetValue<string>());
        var url = manifest["api"]!["url"]!.GetValue<string>();
        Assert.Equal(BaseUrl + "/openapi.json", url);
        using var client = new HttpClient();
        var doc = JsonNode.Parse(await client.GetStringAsync(url))!;
        Assert.Equal("3.1.0", doc["openapi"]!.GetValue<string>());
    }

    [Fact]
    public async Task Docs_page_is_the_interactive_reference_over_openapi_json()
    {
        using var response = await cluster.Edge.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(html.Contains("openapi.json", StringComparison.Ordinal), html);
        Assert.Contains("scalar", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Assets_need_no_key_and_use_the_host_the_request_came_to()
    {
        const string host = "docs.example.test:8443";
        foreach (var (path, expected) in new[]
        {
            ("/openapi.json", "\"url\": \"http://docs.example.test:8443\""),
            ("/postman-collection.json", "\"value\": \"http://docs.example.test:8443\""),
            ("/.well-known/ai-plugin.json", "http://docs.example.test:8443/openapi.json"),
            ("/llms.txt", "(http://docs.example.test:8443/llms-full.txt)"),
            ("/llms-full.txt", "curl -X POST 'http://docs.example.test:8443/api/v1/chat/completions'"),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = host;
            using var response = await cluster.Edge.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var text = await response.Content.ReadAsStringAsync();
            Assert.Contains(expected, text);
            Assert.DoesNotContain(cluster.EdgeUrl.Authority, text);
        }
        // The edge's own host is cached separately and still answered with its own URLs.
        Assert.Contains(BaseUrl + "/openapi.json", await cluster.Edge.GetStringAsync("/.well-known/ai-plugin.json"));
    }

    [GeneratedRegex(@"^- \[[^\]]+\]\([a-z]+://[^)\s]+\)(: .+)?$")]
    private static partial Regex LinkLine();
}
