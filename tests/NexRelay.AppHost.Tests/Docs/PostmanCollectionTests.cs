using System.Text.Json.Nodes;

namespace NexRelay.AppHost.Tests.Docs;

/// <summary>/postman-collection.json: one request per public route, the reference's examples, and a green newman run.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PostmanCollectionTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Collection_has_one_request_per_documented_route_with_the_reference_examples()
    {
        var collection = JsonNode.Parse(await cluster.Edge.GetStringAsync("/postman-collection.json"))!;
        var openapi = JsonNode.Parse(await cluster.Edge.GetStringAsync("/openapi.json"))!;
        Assert.Equal("https://schema.getpostman.com/json/collection/v2.1.0/collection.json", collection["info"]!["schema"]!.GetValue<string>());
        var variables = collection["variable"]!.AsArray().ToDictionary(v => v!["key"]!.GetValue<string>(), v => v!["value"]!.GetValue<string>());
        Assert.Equal(cluster.EdgeUrl.ToString().TrimEnd('/'), variables["baseUrl"]);
        Assert.True(variables.ContainsKey("apiKey"));
        Assert.Equal("{{apiKey}}", collection["auth"]!["bearer"]![0]!["value"]!.GetValue<string>());

        var requests = collection["item"]!.AsArray().SelectMany(f => f!["item"]!.AsArray()).Select(i => i!["name"]!.GetValue<string>()).ToList();
        var operations = openapi["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => $"{m.Key.ToUpperInvariant()} {p.Key}")).ToList();
        Assert.Equal(operations.Order(), requests.Order());

        var bodies = collection["item"]!.AsArray().SelectMany(f => f!["item"]!.AsArray())
            .ToDictionary(i => i!["name"]!.GetValue<string>(), i => i!["request"]!["body"]?["raw"]?.GetValue<string>());
        Assert.Equal("gpt-5.4", JsonNode.Parse(bodies["POST /api/v1/chat/completions"]!)!["model"]!.GetValue<string>());
        Assert.Equal("gpt-5.5", JsonNode.Parse(bodies["POST /api/v1/responses"]!)!["model"]!.GetValue<string>());
        Assert.Equal("claude-sonnet-4-6", JsonNode.Parse(bodies["POST /v1/messages"]!)!["model"]!.GetValue<string>());
        Assert.NotNull(JsonNode.Parse(bodies["POST /v1beta/models/{model}:generateContent"]!)!["contents"]);
    }

    [Fact]
    public async Task Collection_runs_green_with_newman_against_the_running_edge()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        var baseUrl = cluster.EdgeUrl.ToString().TrimEnd('/');
        var report = Path.Combine(Path.GetTempPath(), "nexrelay-newman-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            var (exit, stdout, stderr) = await DocsNode.RunAsync(Path.Combine(DocsNode.Folder, "node_modules", ".bin", "newman"), TimeSpan.FromMinutes(3),
                "run", baseUrl + "/postman-collection.json", "--env-var", "baseUrl=" + baseUrl, "--env-var", "apiKey=" + tenant.Key,
                "--reporters", "cli,json", "--reporter-json-export", report, "--color", "off", "--timeout-request", "60000");
            Assert.True(exit == 0, $"newman exited {exit}:\n{stdout}\n{stderr}");

            // Every request of the collection ran, answered, and passed its status-200 test.
            var requests = JsonNode.Parse(await cluster.Edge.GetStringAsync("/postman-collection.json"))!["item"]!.AsArray().Sum(f => f!["item"]!.AsArray().Count);
            var run = JsonNode.Parse(await File.ReadAllTextAsync(report))!["run"]!;
            var stats = run["stats"]!;
            var executions = run["executions"]!.AsArray();
            // (the log-by-id request's polling pm.sendRequest calls add executions of their own, hence distinct items)
            Assert.Equal(requests, executions.Select(e => e!["item"]!["name"]!.GetValue<string>()).Distinct().Count());
            Assert.Equal(0, stats["requests"]!["failed"]!.GetValue<int>());
            Assert.Equal(requests, stats["assertions"]!["total"]!.GetValue<int>());
            Assert.Equal(0, stats["assertions"]!["failed"]!.GetValue<int>());
            Assert.Equal(0, stats["testScripts"]!["failed"]!.GetValue<int>());
            Assert.Equal(0, stats["prerequestScripts"]!["failed"]!.GetValue<int>());
        }
        finally
        {
            File.Delete(report);
        }
    }
}
