using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// The edge's per-client failed-auth limit through the whole cluster. The guessing client sends from 127.0.0.3 (its sockets
/// bound there), so the other tests of this cluster, all on 127.0.0.1, are other clients to the edge and never limited by it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FailedAuthLimitTests(ClusterFixture cluster)
{
    private static readonly IPAddress Guesser = IPAddress.Parse("127.0.0.3");

    [Fact]
    public async Task Too_many_unknown_keys_from_one_address_get_429_in_each_format_while_its_known_keys_keep_working()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var known = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat("gpt-5.4"));
        Assert.Equal(HttpStatusCode.OK, known.StatusCode);

        using var guesser = new HttpClient(Loopback.From(Guesser)) { BaseAddress = cluster.EdgeUrl, Timeout = TimeSpan.FromSeconds(30) };
        // The default limit is 20 per 10 s: guess until refused, with at least two seconds of the window left for what follows.
        var refused = false;
        for (var i = 0; i < 100 && !refused; i++)
        {
            using var response = await PostAsync(guesser, RandomKey(), "/api/v1/chat/completions", Chat("gpt-5.4"));
            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"{(int)response.StatusCode}");
            refused = response.StatusCode == HttpStatusCode.TooManyRequests && response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(2);
        }
        Assert.True(refused, "no 429 after 100 unknown keys");

        using var openai = await PostAsync(guesser, RandomKey(), "/api/v1/chat/completions", Chat("gpt-5.4"));
        await AssertRefusedAsync(openai, body => Assert.Equal("rate_limit_error", body["error"]!["type"]!.GetValue<string>()));
        using var anthropic = await SendAsync(guesser, "/v1/messages", AnthropicBody("claude-sonnet-4-6"), "x-api-key");
        await AssertRefusedAsync(anthropic, body => Assert.Equal("rate_limit_error", body["error"]!["type"]!.GetValue<string>()));
        using var gemini = await SendAsync(guesser, "/v1beta/models/gemini-2.5-flash:generateContent", GeminiBody, "x-goog-api-key");
        await AssertRefusedAsync(gemini, body => Assert.Equal("RESOURCE_EXHAUSTED", body["error"]!["status"]!.GetValue<string>()));

        // Someone else behind the same address, with a key the edge knows: served.
        using var neighbour = await PostAsync(guesser, tenant.Key, "/api/v1/chat/completions", Chat("gpt-5.4"));
        Assert.True(neighbour.StatusCode == HttpStatusCode.OK, $"{(int)neighbour.StatusCode}: {await neighbour.Content.ReadAsStringAsync()}");
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, Action<JsonNode> envelope)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"{(int)response.StatusCode}: {text}");
        Assert.NotNull(response.Headers.RetryAfter?.Delta);
        envelope(JsonNode.Parse(text)!);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient edge, string path, string json, string header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add(header, RandomKey());
        return await edge.SendAsync(request);
    }

    /// <summary>A well-formed key nobody has (the format of Contracts' KeyHash.Generate, not referenced here).</summary>
    private static string RandomKey() => "nrk_" + RandomNumberGenerator.GetString("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 43);
}
