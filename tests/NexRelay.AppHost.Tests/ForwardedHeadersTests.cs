using System.Net;
using System.Security.Cryptography;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// Whose address the edge counts when a request carries <c>X-Forwarded-For</c>: the forwarded client only when the peer is a
/// trusted proxy (<see cref="ClusterFixture.TrustedProxy"/>), else the socket's. Observed through the failed-auth limit,
/// which reads the same <c>Connection.RemoteIpAddress</c> as the request logs and the redemption limit.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ForwardedHeadersTests(ClusterFixture cluster)
{
    [Fact]
    public async Task An_untrusted_peer_is_counted_by_its_socket_address_whatever_it_forwards()
    {
        using var peer = new HttpClient(Loopback.From(IPAddress.Parse("127.0.0.5"))) { BaseAddress = cluster.EdgeUrl, Timeout = TimeSpan.FromSeconds(30) };
        // Each guess names another client; were the header believed, none of them would reach the limit (20 per 10 s).
        var refused = false;
        for (var i = 0; i < 60 && !refused; i++)
        {
            using var response = await GuessAsync(peer, $"198.51.100.{i + 1}");
            refused = response.StatusCode == HttpStatusCode.TooManyRequests;
        }
        Assert.True(refused, "forwarded addresses from an untrusted peer were believed: no 429 after 60 unknown keys");
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit()
    {
        using var proxy = new HttpClient(Loopback.From(ClusterFixture.TrustedProxy)) { BaseAddress = cluster.EdgeUrl, Timeout = TimeSpan.FromSeconds(30) };
        var guesser = RandomDocumentationAddress();
        var refused = false;
        for (var i = 0; i < 60 && !refused; i++)
        {
            // What a client writes itself stays left of what the proxy appends, and is not believed.
            using var response = await GuessAsync(proxy, $"192.0.2.{i + 1}, {guesser}");
            refused = response.StatusCode == HttpStatusCode.TooManyRequests;
        }
        Assert.True(refused, "no 429 after 60 unknown keys from one forwarded client");

        // The proxy's other clients are not the guesser.
        using var neighbour = await GuessAsync(proxy, $"198.51.100.{RandomNumberGenerator.GetInt32(1, 255)}");
        Assert.Equal(HttpStatusCode.Unauthorized, neighbour.StatusCode);
        // Nor is the proxy itself limited: a request it sends for nobody in particular is its own (an untouched) client.
        using var direct = await GuessAsync(proxy, forwardedFor: null);
        Assert.Equal(HttpStatusCode.Unauthorized, direct.StatusCode);
    }

    private static async Task<HttpResponseMessage> GuessAsync(HttpClient edge, string? forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/chat/completions")
        {
            Content = new StringContent(Chat("gpt-5.4"), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer nrk_" + RandomNumberGenerator.GetString("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 43));
        if (forwardedFor is not null) request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        var response = await edge.SendAsync(request);
        Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"{(int)response.StatusCode}");
        return response;
    }

    /// <summary>An address of TEST-NET-3 (203.0.113.0/24), fresh per test so runs within one window do not share a count.</summary>
    private static string RandomDocumentationAddress() => $"203.0.113.{RandomNumberGenerator.GetInt32(1, 255)}";
}
