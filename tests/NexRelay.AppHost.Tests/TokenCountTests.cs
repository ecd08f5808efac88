using System.Net;
using System.Text.Json.Nodes;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// count_tokens (Anthropic) and :countTokens (Gemini) are free, not unlimited: the key's rate limit and its money apply as they
/// do to generation, both before the body is read.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TokenCountTests(ClusterFixture cluster)
{
    private const string AnthropicCount = "/v1/messages/count_tokens";
    private const string GeminiCount = "/v1beta/models/gemini-2.5-flash:countTokens";
    private const string NotJson = "{this is not json";

    [Fact]
    public async Task A_key_whose_wallet_has_nothing_available_is_refused_with_a_402_in_each_format_before_its_body_is_read()
    {
        var broke = await Tenant.CreateAsync(cluster, creditUsd: 0m);

        // The body is not even JSON: a 402, not a 400, shows the refusal came before the body was read.
        using var anthropic = await PostAsync(cluster.Edge, broke.Key, AnthropicCount, NotJson);
        Assert.Equal(HttpStatusCode.PaymentRequired, anthropic.StatusCode);
        var a = JsonNode.Parse(await anthropic.Content.ReadAsStringAsync())!;
        Assert.Equal("error", a["type"]!.GetValue<string>());
        Assert.Equal("billing_error", a["error"]!["type"]!.GetValue<string>());

        using var gemini = await PostAsync(cluster.Edge2, broke.Key, GeminiCount, NotJson);
        Assert.Equal(HttpStatusCode.PaymentRequired, gemini.StatusCode);
        var g = JsonNode.Parse(await gemini.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(402, g["code"]!.GetValue<int>());
        Assert.Equal("FAILED_PRECONDITION", g["status"]!.GetValue<string>());

        // Generation refuses the same key the same way.
        using var generation = await PostAsync(cluster.Edge, broke.Key, "/v1/messages", AnthropicBody("claude-sonnet-4-6"));
        Assert.Equal(HttpStatusCode.PaymentRequired, generation.StatusCode);

        // Credit makes it count again.
        using var admin = cluster.AdminClient();
        using var credit = await admin.PostAsync($"/admin/v1/wallets/{broke.WalletId}/credits",
            new StringContent($$"""{"amount_usd":1,"reference":"topup-{{Guid.NewGuid()}}"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.True(credit.IsSuccessStatusCode, await credit.Content.ReadAsStringAsync());
        using var counted = await PostAsync(cluster.Edge, broke.Key, AnthropicCount, AnthropicBody("claude-sonnet-4-6"));
        Assert.Equal(HttpStatusCode.OK, counted.StatusCode);
        Assert.True(JsonNode.Parse(await counted.Content.ReadAsStringAsync())!["input_tokens"]!.GetValue<int>() > 0);
    }

    [Fact]
    public async Task A_key_whose_budget_is_used_up_is_refused_with_a_402()
    {
        var tenant = await Tenant.CreateAsync(cluster, policy: new JsonObject { ["budget_usd"] = 0, ["budget_period"] = "day" });
        using var anthropic = await PostAsync(cluster.Edge, tenant.Key, AnthropicCount, AnthropicBody("claude-sonnet-4-6"));
        Assert.Equal(HttpStatusCode.PaymentRequired, anthropic.StatusCode);
        Assert.Contains("budget", JsonNode.Parse(await anthropic.Content.ReadAsStringAsync())!["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Counting_uses_the_keys_rpm_like_generation_across_both_replicas()
    {
        var tenant = await Tenant.CreateAsync(cluster, policy: new JsonObject { ["rpm"] = 3 });
        using var first = await PostAsync(cluster.Edge, tenant.Key, AnthropicCount, AnthropicBody("claude-sonnet-4-6"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("2", first.Headers.GetValues("x-ratelimit-remaining-requests").Single());
        using var second = await PostAsync(cluster.Edge2, tenant.Key, GeminiCount, GeminiBody);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        using var generated = await PostAsync(cluster.Edge, tenant.Key, "/v1/messages", AnthropicBody("claude-sonnet-4-6"));
        Assert.Equal(HttpStatusCode.OK, generated.StatusCode);

        // The window is full: counting is refused in each format, before the body is read.
        using var anthropic = await PostAsync(cluster.Edge2, tenant.Key, AnthropicCount, NotJson);
        Assert.Equal(HttpStatusCode.TooManyRequests, anthropic.StatusCode);
        Assert.True(int.Parse(anthropic.Headers.GetValues("Retry-After").Single()) is > 0 and <= 60);
        Assert.Equal("rate_limit_error", JsonNode.Parse(await anthropic.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
        using var gemini = await PostAsync(cluster.Edge, tenant.Key, GeminiCount, GeminiBody);
        Assert.Equal(HttpStatusCode.TooManyRequests, gemini.StatusCode);
        Assert.Equal("RESOURCE_EXHAUSTED", JsonNode.Parse(await gemini.Content.ReadAsStringAsync())!["error"]!["status"]!.GetValue<string>());
    }
}
