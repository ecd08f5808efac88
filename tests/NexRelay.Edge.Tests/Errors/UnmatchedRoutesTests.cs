using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Tests.Errors;

/// <summary>Routing's own 404 and 405 come in the envelope of the API the path belongs to, never as an empty body.</summary>
public sealed class UnmatchedRoutesTests
{
    [Theory]
    [InlineData("/v1beta/files", null, ClientFormat.Gemini)]
    [InlineData("/v1beta/models/gemini-2.5-flash/x:generateContent", null, ClientFormat.Gemini)]
    [InlineData("/v1/models/x:embedContent", null, ClientFormat.Gemini)]
    [InlineData("/v1/messages/batches", null, ClientFormat.Anthropic)]
    [InlineData("/api/v1/messages/x", null, ClientFormat.Anthropic)]
    [InlineData("/v1/complete", "x-api-key", ClientFormat.Anthropic)]
    [InlineData("/v1/files", "x-goog-api-key", ClientFormat.Gemini)]
    [InlineData("/api/v1/embeddings", "authorization", ClientFormat.OpenAIChat)]
    [InlineData("/", null, ClientFormat.OpenAIChat)]
    public void The_envelope_follows_the_path_then_the_credentials(string path, string? header, ClientFormat expected)
    {
        var http = new DefaultHttpContext();
        http.Request.Path = path;
        if (header is not null) http.Request.Headers[header] = "k";
        Assert.Equal(expected, FormatRegistry.ForUnmatchedPath(http.Request).Format);
    }

    [Fact]
    public async Task An_unknown_url_is_a_404_in_openai_shape()
    {
        var (status, body) = await RunAsync("/api/v1/embeddings", "POST", 404, endpoint: null);
        Assert.Equal(404, status);
        Assert.Equal("unknown_url", body!["error"]!["code"]!.GetValue<string>());
        Assert.Equal("invalid_request_error", body["error"]!["type"]!.GetValue<string>());
        Assert.Contains("POST /api/v1/embeddings", body["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_wrong_method_is_a_405_naming_the_allowed_ones_in_anthropic_shape()
    {
        // Routing's 405 endpoint: a plain Endpoint that sets the status and Allow header.
        var rejection = new Endpoint(_ => Task.CompletedTask, EndpointMetadataCollection.Empty, "405 HTTP Method Not Supported");
        var (status, body) = await RunAsync("/v1/messages", "GET", 405, rejection, allow: "POST");
        Assert.Equal(405, status);
        Assert.Equal("error", body!["type"]!.GetValue<string>());
        Assert.Equal("invalid_request_error", body["error"]!["type"]!.GetValue<string>());
        Assert.Contains("POST", body["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_404_a_route_wrote_itself_is_left_alone()
    {
        var route = new Microsoft.AspNetCore.Routing.RouteEndpoint(_ => Task.CompletedTask, Microsoft.AspNetCore.Routing.Patterns.RoutePatternFactory.Parse("/x"), 0, null, "x");
        var (status, body) = await RunAsync("/v1beta/models/nope", "GET", 404, route);
        Assert.Equal(404, status);
        Assert.Null(body);
    }

    private static async Task<(int Status, JsonNode? Body)> RunAsync(string path, string method, int status, Endpoint? endpoint, string? allow = null)
    {
        var app = new ApplicationBuilder(new ServiceCollection().BuildServiceProvider());
        app.UseUnmatchedRouteErrors();
        app.Run(http =>
        {
            http.Response.StatusCode = status;
            if (allow is not null) http.Response.Headers.Allow = allow;
            return Task.CompletedTask;
        });
        var http = new DefaultHttpContext();
        http.Request.Path = path;
        http.Request.Method = method;
        http.SetEndpoint(endpoint);
        using var output = new MemoryStream();
        http.Response.Body = output;
        await app.Build()(http);
        return (http.Response.StatusCode, output.Length == 0 ? null : JsonNode.Parse(output.ToArray()));
    }
}
