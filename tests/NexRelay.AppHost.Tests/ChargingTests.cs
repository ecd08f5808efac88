using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>What each way a request can end is charged, read back from the request log and the wallet.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ChargingTests(ClusterFixture cluster)
{
    [Fact]
    public async Task An_upstream_failure_before_any_output_charges_nothing_and_releases_the_hold()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.Down));
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var log = await LogAsync(cluster.Edge, tenant.Key, RequestId(response));
        Assert.True(log["held_usd"]!.GetValue<decimal>() > 0);
        Assert.Equal(0m, log["cost_usd"]!.GetValue<decimal>());
        Assert.Equal(502, log["status"]!.GetValue<int>());
        Assert.Equal(1m, (await SettledCreditsAsync(cluster.Edge, tenant.Key))["balance_usd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task A_stream_cut_after_three_tokens_is_charged_for_what_was_produced()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.Cut, 10, stream: true));
        await response.Content.ReadAsStringAsync();
        var log = await LogAsync(cluster.Edge, tenant.Key, RequestId(response));
        Assert.True(log["usage_estimated"]!.GetValue<bool>());
        Assert.InRange(log["output_tokens"]!.GetValue<long>(), 1, 10);
        Assert.True(log["cost_usd"]!.GetValue<decimal>() > 0);
        Assert.Equal("upstream_stream_error", log["error_code"]!.GetValue<string>());
        var credits = await SettledCreditsAsync(cluster.Edge, tenant.Key);
        Assert.Equal(1m - log["cost_usd"]!.GetValue<decimal>(), credits["balance_usd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Missing_upstream_usage_is_counted_with_the_tokenizer_and_flagged()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.NoUsage, 6));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var log = await LogAsync(cluster.Edge, tenant.Key, RequestId(response));
        Assert.True(log["usage_estimated"]!.GetValue<bool>());
        Assert.InRange(log["output_tokens"]!.GetValue<long>(), 1, 6);
        Assert.True(log["input_tokens"]!.GetValue<long>() > 0);
        Assert.True(log["cost_usd"]!.GetValue<decimal>() > 0);
    }

    [Fact]
    public async Task A_client_that_leaves_mid_stream_is_charged_for_what_it_was_sent()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Content = new StringContent($$"""{"model":"{{TestCatalog.SlowTokens}}","max_tokens":60,"stream":true,"messages":[{"role":"user","content":"hi"}]}""",
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", tenant.Key);
        string requestId;
        using (var response = await cluster.Edge.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            requestId = RequestId(response);
            await using var stream = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[4096];
            var seen = new StringBuilder();
            while (!seen.ToString().Contains("text_delta") || seen.ToString().Split("text_delta").Length < 4)
            {
                var read = await stream.ReadAsync(buffer);
                Assert.True(read > 0, "the stream ended before the client left");
                seen.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }
        } // the client leaves after ~3 tokens of 60

        var log = await LogAsync(cluster.Edge, tenant.Key, requestId);
        Assert.Equal("client_closed_request", log["error_code"]!.GetValue<string>());
        Assert.InRange(log["output_tokens"]!.GetValue<long>(), 1, 59);
        Assert.True(log["cost_usd"]!.GetValue<decimal>() > 0);
        Assert.True(log["cost_usd"]!.GetValue<decimal>() < log["held_usd"]!.GetValue<decimal>());
        Assert.Equal(1m - log["cost_usd"]!.GetValue<decimal>(), (await SettledCreditsAsync(cluster.Edge, tenant.Key))["balance_usd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Bodies_are_kept_only_for_keys_with_log_bodies()
    {
        var quiet = await Tenant.CreateAsync(cluster);
        var verbose = await Tenant.CreateAsync(cluster, policy: new JsonObject { ["log_bodies"] = true });
        using var a = await PostAsync(cluster.Edge, quiet.Key, "/api/v1/chat/completions", Chat("gpt-5.4"));
        using var b = await PostAsync(cluster.Edge, verbose.Key, "/api/v1/chat/completions", Chat("gpt-5.4"));
        var quietLog = await LogAsync(cluster.Edge, quiet.Key, RequestId(a));
        var verboseLog = await LogAsync(cluster.Edge, verbose.Key, RequestId(b));
        Assert.Null(quietLog["request_body"]);
        Assert.Contains("hello there", verboseLog["request_body"]!.GetValue<string>());
        Assert.Contains("chat.completion", verboseLog["response_body"]!.GetValue<string>());
        Assert.DoesNotContain(verbose.Key, verboseLog.ToJsonString());
    }

    [Fact]
    public async Task Logs_export_as_csv_through_the_edge()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var chat = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat("gpt-5.4"));
        await LogAsync(cluster.Edge, tenant.Key, RequestId(chat));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/logs");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tenant.Key);
        request.Headers.Accept.ParseAdd("text/csv");
        using var response = await cluster.Edge.SendAsync(request);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("request_id", lines[0]);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith(RequestId(chat), lines[1]);
    }

    [Fact]
    public async Task Bad_log_filters_are_a_400_in_openai_shape_naming_the_parameter()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var response = await GetAsync(cluster.Edge, tenant.Key, "/api/v1/logs?from=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("from", error["param"]!.GetValue<string>());
    }
}
