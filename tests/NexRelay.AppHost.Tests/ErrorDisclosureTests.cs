using System.Net;
using System.Text.Json.Nodes;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// Error bodies on the public API never carry NexRelay's internals (billing's answers, internal routes and problem types,
/// database errors) or its upstream credentials, whatever really failed; an upstream's own 4xx words still reach the caller.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ErrorDisclosureTests(ClusterFixture cluster)
{
    /// <summary>What billing's and the other services' own answers look like: none of it belongs in a caller's error.</summary>
    private static readonly string[] Internals =
        ["/internal", "nexrelay.dev/problems", "traceId", "trace_id", "amountMicros", "walletId", "http://billing", "Npgsql", "22021", "0x00"];

    private static void AssertNoInternals(string body)
    {
        foreach (var word in Internals) Assert.False(body.Contains(word, StringComparison.OrdinalIgnoreCase), $"'{word}' in: {body}");
    }

    [Fact]
    public async Task A_worst_case_over_the_largest_hold_is_a_400_before_billing_is_asked()
    {
        // $1 an output token × 1,500,000: over the $1,000,000 any one request may hold. It was billing's validation problem,
        // seen by the caller as a 503 "billing unavailable"; it is the request's own property, so a 400 in the caller's format.
        var tenant = await Tenant.CreateAsync(cluster);
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.Priceless, 1_500_000));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(body)!["error"]!;
        Assert.Equal("worst_case_too_large", error["code"]!.GetValue<string>());
        Assert.Contains("$1,500,000", error["message"]!.GetValue<string>());
        AssertNoInternals(body);

        using var anthropic = await PostAsync(cluster.Edge, tenant.Key, "/v1/messages", AnthropicBody(TestCatalog.Priceless, 1_500_000));
        var anthropicBody = await anthropic.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, anthropic.StatusCode);
        Assert.Equal("invalid_request_error", JsonNode.Parse(anthropicBody)!["error"]!["type"]!.GetValue<string>());
        AssertNoInternals(anthropicBody);
    }

    [Fact]
    public async Task An_upstream_refusing_the_gateways_own_key_is_a_502_without_the_upstreams_words()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.CredentialsRefused));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var error = JsonNode.Parse(body)!["error"]!;
        Assert.Equal("upstream_rejected", error["code"]!.GetValue<string>());
        var message = error["message"]!.GetValue<string>();
        Assert.Contains("not your API key", message);
        Assert.DoesNotContain("Simulated upstream failure", message); // the upstream's own words about its credential
        Assert.DoesNotContain("sim-test-key", body);                  // the provider key the gateway sent
    }

    [Fact]
    public async Task An_upstreams_5xx_shows_its_status_not_its_body()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.Down));
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var message = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["message"]!.GetValue<string>();
        Assert.Contains("HTTP 503", message);
        Assert.DoesNotContain("Simulated upstream failure", message);
    }

    [Fact]
    public async Task An_upstreams_own_4xx_words_still_reach_the_caller()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/v1/messages", AnthropicBody(TestCatalog.Rejects));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["message"]!.GetValue<string>();
        Assert.StartsWith("Upstream: ", message);
        Assert.Contains("Simulated upstream failure (HTTP 400)", message);
    }

    [Fact]
    public async Task A_nul_in_a_log_filter_is_answered_not_a_database_error()
    {
        // PostgreSQL text cannot hold a NUL: the logging service failed the query (500), so the admin API answered 502 and a
        // key's own query 503. It now filters as rows were stored (NUL as U+FFFD): an empty page, nothing of the database.
        using var admin = cluster.AdminClient();
        using var response = await admin.GetAsync("/admin/v1/logs?model=%00");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("Npgsql", body);

        var tenant = await Tenant.CreateAsync(cluster);
        using var own = await GetAsync(cluster.Edge, tenant.Key, "/api/v1/logs?model=%00");
        var ownBody = await own.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        AssertNoInternals(ownBody);
    }
}
