using System.Net;
using Aspire.Hosting.Testing;
using System.Text.Json.Nodes;
using NexRelay.ServiceDefaults;

namespace NexRelay.AppHost.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ClusterHealthTests(ClusterFixture cluster)
{
    [Theory]
    [InlineData(ResourceNames.Edge)]
    [InlineData(ResourceNames.Billing)]
    [InlineData(ResourceNames.KeyPolicy)]
    [InlineData(ResourceNames.Logging)]
    [InlineData(ResourceNames.SimulatedProvider)]
    public async Task Every_service_reports_healthy_including_its_dependencies(string resource)
    {
        using var client = cluster.App.CreateHttpClient(resource, "http");
        using var response = await client.GetAsync("/health");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{resource} /health: {(int)response.StatusCode} {body}");
        var checks = JsonNode.Parse(body)!["checks"]!.AsObject();
        Assert.All(checks, c => Assert.Equal("Healthy", c.Value!["status"]!.GetValue<string>()));
        Assert.Equal("Healthy", JsonNode.Parse(body)!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Edge_serves_on_its_configured_port_and_alive_answers()
    {
        using var response = await cluster.Edge.GetAsync("/alive");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(cluster.EdgeUrl.Port, response.RequestMessage!.RequestUri!.Port);
    }

    [Theory]
    [InlineData(ResourceNames.Billing, "messaging")]
    [InlineData(ResourceNames.Logging, "messaging")]
    public async Task Health_names_each_dependency(string resource, string _)
    {
        using var client = cluster.App.CreateHttpClient(resource, "http");
        var body = JsonNode.Parse(await client.GetStringAsync("/health"))!;
        var names = body["checks"]!.AsObject().Select(c => c.Key).ToList();
        Assert.Contains(names, n => n.Contains("masstransit", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(names, n => n.Contains("npgsql", StringComparison.OrdinalIgnoreCase) || n.Contains("postgres", StringComparison.OrdinalIgnoreCase));
    }
}
