using System.Net;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// Issue 16 item 6: a free model works and logs $0; usage an upstream cannot have used (more output than allowed, negative,
/// near long.MaxValue) is clamped, flagged, and never charged beyond the hold or wrapped below it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class UsageBoundsTests(ClusterFixture cluster)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_free_model_answers_and_logs_its_requests_at_zero(bool stream)
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 0m);
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.Free, 5, stream));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync();
        var log = await LogAsync(cluster.Edge, tenant.Key, RequestId(response));
        Assert.Equal(200, log["status"]!.GetValue<int>());
        Assert.Equal(0m, log["cost_usd"]!.GetValue<decimal>());
        Assert.Equal(0m, log["held_usd"]!.GetValue<decimal>());
        Assert.True(log["output_tokens"]!.GetValue<long>() > 0, "usage is still logged");
        Assert.Empty(await Books.LedgerAsync(cluster, tenant.WalletId));
    }

    [Fact]
    public async Task More_output_than_was_allowed_is_clamped_to_the_limit_and_flagged()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.UsageHuge, 10));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var log = await LogAsync(cluster.Edge, tenant.Key, RequestId(response));
        Assert.True(log["usage_clamped"]!.GetValue<bool>());
        Assert.Equal(10, log["output_tokens"]!.GetValue<long>());
        Assert.True(log["cost_usd"]!.GetValue<decimal>() <= log["held_usd"]!.GetValue<decimal>());
        Assert.Equal(log["cost_usd"]!.GetValue<decimal>(), decimal.Parse(response.Headers.GetValues("x-nexrelay-cost-usd").Single(),
            System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Negative_usage_is_clamped_to_zero_and_flagged()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.UsageNegative, 5));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var log = await LogAsync(cluster.Edge, tenant.Key, RequestId(response));
        Assert.True(log["usage_clamped"]!.GetValue<bool>());
        Assert.Equal(0, log["input_tokens"]!.GetValue<long>());
        Assert.True(log["cost_usd"]!.GetValue<decimal>() >= 0m);
        var credits = await SettledCreditsAsync(cluster.Edge, tenant.Key);
        Assert.Equal(1m - log["cost_usd"]!.GetValue<decimal>(), credits["balance_usd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Input_near_long_max_costs_the_hold_not_a_wrapped_amount()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.UsageAbsurd, 5));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var log = await LogAsync(cluster.Edge, tenant.Key, RequestId(response));
        Assert.True(log["usage_clamped"]!.GetValue<bool>());
        var held = log["held_usd"]!.GetValue<decimal>();
        Assert.True(held > 0m);
        Assert.Equal(held, log["cost_usd"]!.GetValue<decimal>());
        var credits = await SettledCreditsAsync(cluster.Edge, tenant.Key);
        Assert.Equal(1m - held, credits["balance_usd"]!.GetValue<decimal>());
    }
}
