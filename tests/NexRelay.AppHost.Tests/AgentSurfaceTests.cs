using Aspire.Hosting.Testing;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// Issue 18: what Claude Code and the Anthropic SDKs ask besides messages, through the real edge. <c>/v1/models</c> answers in
/// the shape of whoever asks: Anthropic's for a caller sending <c>anthropic-version</c>, with its key in <c>x-api-key</c>.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AgentSurfaceTests(ClusterFixture cluster)
{
    [Fact]
    public async Task An_anthropic_caller_lists_and_reads_models_in_anthropics_shape()
    {
        var tenant = await Tenant.CreateAsync(cluster, 1m);

        var list = await GetAnthropicAsync(tenant.Key, "/v1/models");
        var data = (JsonArray)list["data"]!;
        Assert.Contains(data, m => (string)m!["id"]! == "claude-sonnet-4-6");
        Assert.All(data, m => Assert.Equal("model", (string)m!["type"]!));
        Assert.False((bool)list["has_more"]!);
        Assert.Equal((string)data[0]!["id"]!, (string)list["first_id"]!);
        Assert.Equal((string)data[^1]!["id"]!, (string)list["last_id"]!);
        Assert.Null(list["object"]);

        var model = await GetAnthropicAsync(tenant.Key, "/v1/models/claude-sonnet-4-6");
        Assert.Equal(("claude-sonnet-4-6", "model"), ((string)model["id"]!, (string)model["type"]!));
        Assert.True(DateTimeOffset.TryParse((string)model["created_at"]!, out _));

        // An unknown model: Anthropic's 404 envelope.
        using var missing = await SendAsync(tenant.Key, "/v1/models/no-such-model");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var error = JsonNode.Parse(await missing.Content.ReadAsStringAsync())!;
        Assert.Equal(("error", "not_found_error"), ((string)error["type"]!, (string)error["error"]!["type"]!));
    }

    /// <summary>
    /// Claude Code's first turn writes its ~12k-token system prompt to the cache for an hour: the upstream reports reads,
    /// five-minute writes and one-hour writes apart, and each is billed at its own catalog price ($0.30, $3.75 and $6 per
    /// million beside $3 input and $15 output), streamed or not, header, log and wallet alike.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Cache_reads_and_writes_are_billed_as_the_upstream_reports_them(bool stream)
    {
        var tenant = await Tenant.CreateAsync(cluster, 5m);
        // The prompt is as long as the usage says (the hold covers it); the usage itself comes verbatim from the directive.
        var prompt = "[sim:usage-input=5;usage-cached=100;usage-cache-write=12000;usage-cache-write-1h=10000;usage-output=3] " + Books.Prompt(13_000);
        var body = new JsonObject
        {
            ["model"] = "claude-sonnet-4-6",
            ["max_tokens"] = 3,
            ["stream"] = stream,
            ["system"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = prompt, ["cache_control"] = new JsonObject { ["type"] = "ephemeral", ["ttl"] = "1h" } }),
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hello there" }),
        };
        using var response = await EdgeCalls.PostAsync(cluster.Edge, tenant.Key, "/v1/messages", body.ToJsonString());
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);

        // 5 × $3 + 100 × $0.30 + 2,000 × $3.75 + 10,000 × $6 + 3 × $15, per million.
        const decimal expected = 0.067590m;
        var usage = stream
            ? JsonNode.Parse(text.Split('\n').Last(l => l.StartsWith("data: ", StringComparison.Ordinal) && l.Contains("message_delta", StringComparison.Ordinal))["data: ".Length..])!["usage"]!
            : JsonNode.Parse(text)!["usage"]!;
        Assert.Equal((12000, 100, 5), ((int)usage["cache_creation_input_tokens"]!, (int)usage["cache_read_input_tokens"]!, (int)usage["input_tokens"]!));
        if (!stream) Assert.Equal(expected, decimal.Parse(response.Headers.GetValues("x-nexrelay-cost-usd").Single(), System.Globalization.CultureInfo.InvariantCulture));
        var log = await EdgeCalls.LogAsync(cluster.Edge, tenant.Key, EdgeCalls.RequestId(response));
        Assert.Equal(expected, (decimal)log["cost_usd"]!);
        var credits = await EdgeCalls.SettledCreditsAsync(cluster.Edge, tenant.Key);
        Assert.Equal(5m - expected, (decimal)credits["available_usd"]!);
    }

    /// <summary>(model, whether the upstream is Anthropic's kind: only then does the header mean anything, and only then is it sent).</summary>
    [Theory]
    [InlineData("claude-sonnet-4-6", true, false)]
    [InlineData("claude-sonnet-4-6", true, true)]
    [InlineData("gpt-5.4", false, false)]
    [InlineData("gemini-2.5-flash", false, true)]
    public async Task Anthropic_beta_reaches_an_anthropic_upstream_as_sent(string model, bool forwarded, bool stream)
    {
        var tenant = await Tenant.CreateAsync(cluster, 1m);
        var tag = "beta-" + Guid.NewGuid().ToString("N");
        const string beta = "claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14";
        var body = new JsonObject
        {
            ["model"] = model,
            ["max_tokens"] = 3,
            ["stream"] = stream,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = $"hello [sim:tag={tag}]" }),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", tenant.Key);
        request.Headers.Add("anthropic-version", "2023-06-01");
        request.Headers.Add("anthropic-beta", beta);
        using var response = await cluster.Edge.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());

        using var sim = new HttpClient { BaseAddress = cluster.App.GetEndpoint(ServiceDefaults.ResourceNames.SimulatedProvider, "http") };
        var seen = JsonNode.Parse(await sim.GetStringAsync($"/sim/requests/{tag}"))!;
        Assert.Equal(1, (int)seen["count"]!);
        Assert.Equal(forwarded ? beta : null, (string?)seen["anthropic_beta"]);
    }

    private async Task<JsonObject> GetAnthropicAsync(string key, string path)
    {
        using var response = await SendAsync(key, path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    private async Task<HttpResponseMessage> SendAsync(string key, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("x-api-key", key);
        request.Headers.Add("anthropic-version", "2023-06-01");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return await cluster.Edge.SendAsync(request);
    }
}
