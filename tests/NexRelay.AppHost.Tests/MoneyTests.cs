using System.Net;
using System.Text.Json.Nodes;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>The prepaid promise through the real edge, billing, RabbitMQ and logging: charged once, logged once, never overspent.</summary>
[Collection(ClusterCollection.Name)]
public sealed class MoneyTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Each_request_is_charged_once_logged_once_and_the_wallet_matches_the_logs()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 10m);
        using var chat = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat("gpt-5.4", 5));
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        var headerCost = decimal.Parse(chat.Headers.GetValues("x-nexrelay-cost-usd").Single(), System.Globalization.CultureInfo.InvariantCulture);
        using var anthropic = await PostAsync(cluster.Edge2, tenant.Key, "/v1/messages", AnthropicBody("claude-sonnet-4-6", 4));
        Assert.Equal(HttpStatusCode.OK, anthropic.StatusCode);
        using var gemini = await PostAsync(cluster.Edge, tenant.Key, "/v1beta/models/gemini-2.5-flash:generateContent", GeminiBody);
        Assert.Equal(HttpStatusCode.OK, gemini.StatusCode);

        var chatLog = await LogAsync(cluster.Edge, tenant.Key, RequestId(chat));
        Assert.Equal(200, chatLog["status"]!.GetValue<int>());
        Assert.Equal("openai-chat", chatLog["client_format"]!.GetValue<string>());
        Assert.Equal(5, chatLog["output_tokens"]!.GetValue<long>());
        Assert.Equal(headerCost, chatLog["cost_usd"]!.GetValue<decimal>());
        Assert.True(chatLog["held_usd"]!.GetValue<decimal>() >= headerCost);
        Assert.Equal(4, (await LogAsync(cluster.Edge, tenant.Key, RequestId(anthropic)))["output_tokens"]!.GetValue<long>());
        Assert.Equal(3, (await LogAsync(cluster.Edge, tenant.Key, RequestId(gemini)))["output_tokens"]!.GetValue<long>());

        var credits = await SettledCreditsAsync(cluster.Edge, tenant.Key);
        var logs = await AllLogsAsync(cluster.Edge, tenant.Key);
        Assert.Equal(3, logs.Count);
        var charged = logs.Sum(r => r["cost_usd"]!.GetValue<decimal>());
        Assert.True(charged > 0);
        Assert.Equal(10m - charged, credits["balance_usd"]!.GetValue<decimal>());
        Assert.Equal(credits["balance_usd"]!.GetValue<decimal>(), credits["available_usd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task A_short_wallet_is_a_402_in_each_format_with_nothing_charged()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 0.000001m);
        using var openai = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat("gpt-5.4"));
        Assert.Equal(HttpStatusCode.PaymentRequired, openai.StatusCode);
        var error = JsonNode.Parse(await openai.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("insufficient_quota", error["type"]!.GetValue<string>());
        Assert.Contains("wallet", error["message"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("$0.000001 is available", error["message"]!.GetValue<string>());

        using var anthropic = await PostAsync(cluster.Edge, tenant.Key, "/v1/messages", AnthropicBody("claude-sonnet-4-6"));
        Assert.Equal(HttpStatusCode.PaymentRequired, anthropic.StatusCode);
        Assert.Equal("billing_error", JsonNode.Parse(await anthropic.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());

        using var gemini = await PostAsync(cluster.Edge, tenant.Key, "/v1beta/models/gemini-2.5-flash:generateContent", GeminiBody);
        Assert.Equal(HttpStatusCode.PaymentRequired, gemini.StatusCode);
        Assert.Equal("FAILED_PRECONDITION", JsonNode.Parse(await gemini.Content.ReadAsStringAsync())!["error"]!["status"]!.GetValue<string>());

        var log = await LogAsync(cluster.Edge, tenant.Key, RequestId(openai));
        Assert.Equal(402, log["status"]!.GetValue<int>());
        Assert.Equal("insufficient_quota", log["error_code"]!.GetValue<string>());
        Assert.Equal(0m, log["cost_usd"]!.GetValue<decimal>());
        Assert.Equal(0.000001m, (await CreditsAsync(cluster.Edge, tenant.Key))["balance_usd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Concurrent_requests_across_two_edges_never_overspend_the_wallet()
    {
        var held = await WorstCaseHoldAsync();
        const int affordable = 4;
        var credit = held * affordable;
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: credit);

        var statuses = await FireAsync(tenant.Key, 40);
        var granted = statuses.Count(s => s == HttpStatusCode.OK);
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.PaymentRequired, $"unexpected {s}"));
        Assert.InRange(granted, 1, affordable);

        var credits = await SettledCreditsAsync(cluster.Edge, tenant.Key);
        var logs = await WaitForLogsAsync(tenant.Key, statuses.Count);
        var charged = logs.Sum(r => r["cost_usd"]!.GetValue<decimal>());
        Assert.Equal(credit - charged, credits["balance_usd"]!.GetValue<decimal>());
        Assert.True(credits["available_usd"]!.GetValue<decimal>() >= 0);
        Assert.Equal(granted, logs.Count(r => r["status"]!.GetValue<int>() == 200));
    }

    [Fact]
    public async Task Concurrent_requests_never_exceed_a_brand_new_keys_budget()
    {
        var held = await WorstCaseHoldAsync();
        const int affordable = 3;
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 50m, new JsonObject { ["budget_usd"] = held * affordable, ["budget_period"] = "total" });

        var statuses = await FireAsync(tenant.Key, 30);
        var granted = statuses.Count(s => s == HttpStatusCode.OK);
        Assert.InRange(granted, 1, affordable);
        Assert.Equal(30 - granted, statuses.Count(s => s == HttpStatusCode.PaymentRequired));

        await SettledCreditsAsync(cluster.Edge, tenant.Key);
        var logs = await WaitForLogsAsync(tenant.Key, statuses.Count);
        Assert.True(logs.Sum(r => r["cost_usd"]!.GetValue<decimal>()) <= held * affordable);
        Assert.Contains(logs, r => r["error_code"]?.GetValue<string>() == "budget_exceeded");
        using var key = await GetAsync(cluster.Edge, tenant.Key, "/api/v1/key");
        var data = JsonNode.Parse(await key.Content.ReadAsStringAsync())!["data"]!;
        Assert.Equal(held * affordable, data["budget_usd"]!.GetValue<decimal>());
        Assert.True(data["budget_remaining_usd"]!.GetValue<decimal>() >= 0);
    }

    /// <summary>The hold one request of the concurrency tests takes (identical requests take identical holds).</summary>
    private async Task<decimal> WorstCaseHoldAsync()
    {
        var probe = await Tenant.CreateAsync(cluster, creditUsd: 5m);
        using var response = await PostAsync(cluster.Edge, probe.Key, "/api/v1/chat/completions", Chat(TestCatalog.Delayed, 50));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await LogAsync(cluster.Edge, probe.Key, RequestId(response)))["held_usd"]!.GetValue<decimal>();
    }

    /// <summary>Fires requests at once, alternating between the two edge replicas.</summary>
    private async Task<List<HttpStatusCode>> FireAsync(string key, int count)
    {
        var body = Chat(TestCatalog.Delayed, 50);
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            using var response = await PostAsync(i % 2 == 0 ? cluster.Edge : cluster.Edge2, key, "/api/v1/chat/completions", body);
            return response.StatusCode;
        });
        return [.. await Task.WhenAll(tasks)];
    }

    private async Task<List<JsonObject>> WaitForLogsAsync(string key, int expected)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var logs = await AllLogsAsync(cluster.Edge, key);
            if (logs.Count >= expected) { Assert.Equal(expected, logs.Count); return logs; }
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"{logs.Count} of {expected} log rows");
            await Task.Delay(250);
        }
    }
}
