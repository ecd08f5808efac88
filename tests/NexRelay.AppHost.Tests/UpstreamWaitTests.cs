using System.Net;
using System.Text.Json.Nodes;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// Issue 16 item 3: a non-streamed answer, whose headers come only once it is generated, waits long enough for it; a request
/// whose body reached the upstream is never sent again after a timeout (the upstream may be generating and billing it); slow
/// answers do not open the circuit breaker, connection failures do.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class UpstreamWaitTests(ClusterFixture cluster)
{
    [Fact]
    public async Task A_non_streamed_answer_slower_than_the_first_byte_timeout_succeeds()
    {
        // The upstream takes 2.5 s; the streaming first-byte timeout is 1.5 s.
        var tenant = await Tenant.CreateAsync(cluster);
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.Generating, 100));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var log = await LogAsync(cluster.Edge, tenant.Key, RequestId(response));
        Assert.False(log["usage_estimated"]!.GetValue<bool>());
        Assert.True(log["cost_usd"]!.GetValue<decimal>() > 0);

        // The same upstream streaming: no headers within the first-byte timeout is a timeout.
        using var streamed = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.Generating, 100, stream: true));
        Assert.Equal(HttpStatusCode.GatewayTimeout, streamed.StatusCode);
    }

    [Fact]
    public async Task A_request_that_timed_out_after_it_was_sent_is_not_sent_again()
    {
        // 4 s to answer; a 1-token answer may wait 1.5 s + 50 ms. Two attempts per upstream are allowed for failures before sending.
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        var tag = "no-retry-" + Guid.NewGuid().ToString("N");
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions",
            $$"""{"model":"{{TestCatalog.Slow}}","max_tokens":1,"messages":[{"role":"user","content":"[sim:tag={{tag}}] hello"}]}""");
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("not sent again", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["message"]!.GetValue<string>());
        await Task.Delay(3000); // an attempt sent again would reach the upstream by now
        Assert.Equal(1, await Books.UpstreamCallsAsync(cluster, tag));

        // The upstream had the request: it is charged (its input, estimated), not free.
        var log = await LogAsync(cluster.Edge, tenant.Key, RequestId(response));
        Assert.Equal("sim-slow", log["upstream_provider"]!.GetValue<string>());
        Assert.True(log["usage_estimated"]!.GetValue<bool>());
        Assert.True(log["cost_usd"]!.GetValue<decimal>() > 0);
    }

    [Fact]
    public async Task Slow_non_streamed_answers_do_not_open_the_breaker_and_connection_failures_do()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 5m);
        // Twelve answers that each take longer than their wait (1.5 s + 50 ms for one token): the breaker needs ten calls at
        // half failed to open.
        var slow = Enumerable.Range(0, 12).Select(async _ =>
        {
            using var r = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions",
                $$"""{"model":"{{TestCatalog.BreakerSlow}}","max_tokens":1,"messages":[{"role":"user","content":"[sim:first-byte-delay-ms=4000] hi"}]}""");
            return r.StatusCode;
        });
        Assert.All(await Task.WhenAll(slow), status => Assert.Equal(HttpStatusCode.GatewayTimeout, status));
        using (var fast = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.BreakerSlow, 3)))
        {
            Assert.Equal(HttpStatusCode.OK, fast.StatusCode);
        }

        // An upstream that refuses connections: after enough failures the breaker answers without trying.
        string? last = null;
        for (var i = 0; i < 12; i++)
        {
            using var r = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.Unreachable, 3));
            Assert.Equal(HttpStatusCode.BadGateway, r.StatusCode);
            last = JsonNode.Parse(await r.Content.ReadAsStringAsync())!["error"]!["message"]!.GetValue<string>();
        }
        Assert.Contains("circuit breaker is open", last);
        // Nothing reached an upstream: every one of them is free.
        var rows = await Books.RowsAsync(cluster, tenant, 25); // 12 slow, 1 fast, 12 unreachable
        Assert.All(rows.Where(r => r["model"]!.GetValue<string>() == TestCatalog.Unreachable), r => Assert.Equal(0m, r["cost_usd"]!.GetValue<decimal>()));
    }
}
