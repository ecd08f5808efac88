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

    [Theory]
    [InlineData("POST", "/api/v1/embeddings", 404, "unknown_url")]
    [InlineData("GET", "/api/v1/chat/completions", 405, "method_not_allowed")]
    public async Task Unknown_urls_and_methods_answer_in_openai_shape(string method, string path, int status, string code)
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tenant.Key);
        using var response = await cluster.Edge.SendAsync(request);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_unknown_messages_route_answers_in_anthropic_shape_and_a_gemini_one_in_googles()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var anthropic = await PostAsync(cluster.Edge, tenant.Key, "/v1/messages/batches", "{}");
        Assert.Equal(HttpStatusCode.NotFound, anthropic.StatusCode);
        Assert.Equal("not_found_error", JsonNode.Parse(await anthropic.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
        using var gemini = await PostAsync(cluster.Edge, tenant.Key, "/v1beta/files", "{}");
        Assert.Equal(HttpStatusCode.NotFound, gemini.StatusCode);
        Assert.Equal("NOT_FOUND", JsonNode.Parse(await gemini.Content.ReadAsStringAsync())!["error"]!["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/v1/messages/count_tokens", """{"model":"claude-sonnet-4-6","model":"claude-sonnet-4-6","messages":[{"role":"user","content":"x"}]}""")]
    [InlineData("/v1beta/models/gemini-2.5-flash:countTokens", """{"contents":[{"role":"user","parts":[{"text":"x"}]}],"contents":[]}""")]
    public async Task A_key_given_twice_is_a_400_not_a_500(string path, string body)
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var response = await PostAsync(cluster.Edge, tenant.Key, path, body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
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
