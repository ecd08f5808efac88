using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>Malformed and oversized bodies are refused in the caller's own format, on relays and on token counting alike.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BadInputTests(ClusterFixture cluster)
{
    // One byte over the edge's default NexRelay:Relay:MaxRequestBodyBytes (20 MiB).
    private static readonly string Oversized = "{\"model\":\"claude-sonnet-4-6\",\"x\":\"" + new string('a', 20 * 1024 * 1024) + "\"}";

    [Theory]
    [InlineData("/v1/messages")]
    [InlineData("/v1/messages/count_tokens")]
    public async Task An_oversized_body_is_a_413_in_anthropic_shape(string path)
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var response = await PostAsync(cluster.Edge, tenant.Key, path, Oversized);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_too_large", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/v1/messages/count_tokens", "{not json")]
    [InlineData("/v1/messages/count_tokens", "[1,2]")]
    [InlineData("/v1/messages", "{not json")]
    public async Task Malformed_json_is_a_400_in_anthropic_shape(string path, string body)
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var response = await PostAsync(cluster.Edge, tenant.Key, path, body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("error", json["type"]!.GetValue<string>());
        Assert.Equal("invalid_request_error", json["error"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_large_body_sent_without_a_length_is_read_whole()
    {
        // Chunked and 3 MB, beyond Kestrel's 1 MB input buffer: the edge parses the body in place from the request pipe,
        // examining without consuming until the last chunk, which must not stall the connection.
        var tenant = await Tenant.CreateAsync(cluster);
        var text = string.Concat(Enumerable.Repeat("hello world ", 256 * 1024));
        var json = $$"""{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"{{text}}"}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages/count_tokens")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json))),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("x-api-key", tenant.Key);
        request.Headers.TransferEncodingChunked = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        using var response = await cluster.Edge.SendAsync(request, timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["input_tokens"]!.GetValue<long>() > 256 * 1024);
    }

    [Fact]
    public async Task Gemini_count_tokens_refuses_malformed_json_in_google_shape()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/v1beta/models/gemini-2.5-flash:countTokens", "{oops");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("INVALID_ARGUMENT", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["status"]!.GetValue<string>());
    }
}
