using System.Diagnostics;
using System.Net;
using Aspire.Hosting.Testing;
using NexRelay.ServiceDefaults;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// Issue 24: readiness (<c>/ready</c>, what Kubernetes routes by) reflects what a replica itself can serve, never a dependency
/// every replica shares: a Redis or RabbitMQ outage shows in <c>/health</c> and leaves every service ready, so the edge keeps
/// answering (it fails open on Redis and spools events) instead of the Service having no endpoints at all.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Outage")]
public sealed class ReadinessOutageTests(ClusterFixture cluster)
{
    private static readonly string[] Services = [ResourceNames.Edge, ResourceNames.Billing, ResourceNames.KeyPolicy, ResourceNames.Logging];

    [Theory]
    [InlineData("redis")]
    [InlineData("rabbitmq")]
    public async Task A_shared_dependency_down_shows_in_health_and_leaves_every_service_ready(string dependency)
    {
        await OutageTests.Infra("stop-" + dependency);
        try
        {
            // /health names the outage: the edge and key-policy use Redis; the services that consume from RabbitMQ notice it
            // at once (key-policy only publishes, and its bus reports the loss at its next publish)…
            var reporting = dependency == "redis"
                ? new[] { ResourceNames.Edge, ResourceNames.KeyPolicy }
                : new[] { ResourceNames.Edge, ResourceNames.Billing, ResourceNames.Logging };
            foreach (var service in reporting)
            {
                var deadline = Stopwatch.StartNew();
                string health;
                while (true)
                {
                    using var client = Client(service);
                    using var response = await client.GetAsync("/health");
                    health = await response.Content.ReadAsStringAsync();
                    var status = System.Text.Json.Nodes.JsonNode.Parse(health)!["status"]!.GetValue<string>();
                    if (status != "Healthy") break;
                    Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"{service} /health still healthy with {dependency} down: {health}");
                    await Task.Delay(500);
                }
            }
            // …and readiness does not: every replica would be out of its Service at once.
            foreach (var service in Services)
            {
                using var client = Client(service);
                using var ready = await client.GetAsync("/ready");
                Assert.True(ready.StatusCode == HttpStatusCode.OK, $"{service} /ready {(int)ready.StatusCode} with {dependency} down");
            }
            // The edge still answers a paid request.
            var tenant = await Tenant.CreateAsync(cluster, 1m);
            using var answer = await EdgeCalls.PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", EdgeCalls.Chat("gpt-5.4"));
            Assert.True(answer.StatusCode == HttpStatusCode.OK, await answer.Content.ReadAsStringAsync());
        }
        finally
        {
            await OutageTests.Infra("start-" + dependency);
        }
    }

    private HttpClient Client(string service) => new() { BaseAddress = cluster.App.GetEndpoint(service, "http"), Timeout = TimeSpan.FromSeconds(30) };
}

/// <summary>Readiness in a healthy cluster: every service ready, and the answer carries no dependency's error text.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ReadinessTests(ClusterFixture cluster)
{
    [Theory]
    [InlineData(ResourceNames.Edge)]
    [InlineData(ResourceNames.Billing)]
    [InlineData(ResourceNames.KeyPolicy)]
    [InlineData(ResourceNames.Logging)]
    public async Task Every_service_is_ready_once_started(string service)
    {
        using var client = new HttpClient { BaseAddress = cluster.App.GetEndpoint(service, "http") };
        using var response = await client.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }
}
