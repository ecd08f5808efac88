using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace NexRelay.AppHost.Tests;

/// <summary>Upstream failures as each client format sees them: failover, 502/504 before streaming, in-stream errors after.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RelayFailureTests(ClusterFixture cluster)
{
    private async Task<HttpResponseMessage> PostAsync(string key, string path, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await cluster.Edge.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private static string Chat(string model, int max = 3, bool stream = false) =>
        $$"""{"model":"{{model}}","max_tokens":{{max}},"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hello there"}]}""";

    [Fact]
    public async Task A_failing_first_upstream_fails_over_to_the_next()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var response = await PostAsync(tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.Failover));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal(3, JsonNode.Parse(body)!["choices"]![0]!["message"]!["content"]!.GetValue<string>().Split(' ').Length);
    }

    [Fact]
    public async Task Every_upstream_failing_is_a_502_in_openai_shape()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var response = await PostAsync(tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.Down));
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("upstream_error", error["code"]!.GetValue<string>());
        Assert.Equal("server_error", error["type"]!.GetValue<string>());
        Assert.True(response.Headers.Contains("x-request-id"));
    }

    [Fact]
    public async Task Every_upstream_failing_is_a_502_in_anthropic_and_gemini_shape()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var anthropic = await PostAsync(tenant.Key, "/v1/messages",
            $$"""{"model":"{{TestCatalog.AnthropicDown}}","max_tokens":3,"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.BadGateway, anthropic.StatusCode);
        var a = JsonNode.Parse(await anthropic.Content.ReadAsStringAsync())!;
        Assert.Equal("error", a["type"]!.GetValue<string>());
        Assert.Equal("api_error", a["error"]!["type"]!.GetValue<string>());

        using var gemini = await PostAsync(tenant.Key, $"/v1beta/models/{TestCatalog.Down}:generateContent",
            """{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}""");
        Assert.Equal(HttpStatusCode.BadGateway, gemini.StatusCode);
        var g = JsonNode.Parse(await gemini.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(502, g["code"]!.GetValue<int>());
        Assert.Equal("INTERNAL", g["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_upstream_that_never_answers_is_a_504()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var response = await PostAsync(tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.Slow));
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("upstream_timeout", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_upstream_refusal_is_passed_on_in_the_callers_shape()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var response = await PostAsync(tenant.Key, "/v1/messages",
            $$"""{"model":"{{TestCatalog.Rejects}}","max_tokens":3,"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("invalid_request_error", body["error"]!["type"]!.GetValue<string>());
        Assert.StartsWith("Upstream:", body["error"]!["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/api/v1/chat/completions", "openai")]
    [InlineData("/v1/messages", "anthropic")]
    public async Task A_stream_cut_by_the_upstream_ends_with_an_in_stream_error(string path, string format)
    {
        var tenant = await Tenant.CreateAsync(cluster);
        var json = format == "anthropic"
            ? $$"""{"model":"{{TestCatalog.Cut}}","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}"""
            : Chat(TestCatalog.Cut, 10, stream: true);
        using var response = await PostAsync(tenant.Key, path, json);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sse = await response.Content.ReadAsStringAsync();
        if (format == "anthropic")
        {
            Assert.Contains("event: error", sse);
            Assert.DoesNotContain("event: message_stop", sse);
        }
        else
        {
            // The OpenAI SDKs raise an APIError for a chunk carrying "error"; the stream never reports a normal finish.
            Assert.Contains("\"error\"", sse);
            Assert.DoesNotContain("\"finish_reason\":\"length\"", sse);
            Assert.DoesNotContain("\"finish_reason\":\"stop\"", sse);
        }
    }

    [Fact]
    public async Task Missing_upstream_usage_is_estimated_and_the_answer_still_arrives()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var response = await PostAsync(tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.NoUsage, 5));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal(5, JsonNode.Parse(body)!["choices"]![0]!["message"]!["content"]!.GetValue<string>().Split(' ').Length);
    }
}
