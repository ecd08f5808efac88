using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Tests.Translation;

/// <summary>What each client format decides for the code outside <c>Translation/</c>, which asks instead of switching.</summary>
public sealed class ClientFormatDecisionsTests
{
    [Theory]
    [InlineData(ClientFormat.OpenAIChat, "openai-chat", "chatcmpl-AbC123")]
    [InlineData(ClientFormat.OpenAIResponses, "openai-responses", "resp_AbC123")]
    [InlineData(ClientFormat.Anthropic, "anthropic", "msg_AbC123")]
    [InlineData(ClientFormat.Gemini, "gemini", "req_AbC123")]
    public void Each_format_names_itself_and_its_response_ids(ClientFormat format, string wireName, string responseId)
    {
        var client = FormatRegistry.Client(format);
        Assert.Equal(format, client.Format);
        Assert.Equal(wireName, client.WireName);
        Assert.Equal(responseId, client.ResponseId("req_AbC123"));
    }

    [Theory]
    [InlineData(ClientFormat.OpenAIChat, ErrorKind.UpstreamTimeout, "server_error")]
    [InlineData(ClientFormat.OpenAIResponses, ErrorKind.UpstreamError, "server_error")]
    [InlineData(ClientFormat.Anthropic, ErrorKind.UpstreamTimeout, "timeout_error")]
    [InlineData(ClientFormat.Anthropic, ErrorKind.UpstreamError, "api_error")]
    [InlineData(ClientFormat.Gemini, ErrorKind.UpstreamTimeout, "DEADLINE_EXCEEDED")]
    [InlineData(ClientFormat.Gemini, ErrorKind.UpstreamError, "INTERNAL")]
    public void In_stream_errors_take_the_formats_own_type(ClientFormat format, ErrorKind kind, string expected) =>
        Assert.Equal(expected, FormatRegistry.Client(format).StreamErrorType(kind));

    [Theory]
    [InlineData(ClientFormat.OpenAIChat, """{"error":{"message":"m","type":"invalid_request_error","param":"model","code":"c"}}""")]
    [InlineData(ClientFormat.OpenAIResponses, """{"error":{"message":"m","type":"invalid_request_error","param":"model","code":"c"}}""")]
    [InlineData(ClientFormat.Anthropic, """{"type":"error","error":{"type":"not_found_error","message":"m"}}""")]
    [InlineData(ClientFormat.Gemini, """{"error":{"code":404,"message":"m","status":"NOT_FOUND"}}""")]
    public void Errors_are_written_in_the_formats_envelope(ClientFormat format, string expected)
    {
        var error = new EdgeError(ErrorKind.NotFound, "m", "c", "model");
        Assert.Equal(expected, Encoding.UTF8.GetString(ErrorWriters.Render(FormatRegistry.Client(format), error)));
    }

    [Fact]
    public void Anthropic_count_tokens_needs_no_max_tokens_and_answers_input_tokens()
    {
        var shape = FormatRegistry.Client(ClientFormat.Anthropic).TokenCount!;
        var request = shape.ParseRequest(Json("""{"model":"m","messages":[{"role":"user","content":"hi"}]}"""), null);
        Assert.Equal("m", request.Model);
        Assert.Equal("""{"input_tokens":12}""", Answer(shape, 12));
    }

    [Fact]
    public void Gemini_count_tokens_reads_a_wrapped_request_and_answers_total_tokens()
    {
        var shape = FormatRegistry.Client(ClientFormat.Gemini).TokenCount!;
        var request = shape.ParseRequest(Json("""{"generateContentRequest":{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}}"""), "gem");
        Assert.Equal("gem", request.Model);
        Assert.False(request.Stream);
        Assert.Single(request.Messages);
        Assert.Equal("""{"totalTokens":12}""", Answer(shape, 12));
    }

    [Fact]
    public void Only_the_formats_with_such_routes_count_tokens_or_list_models()
    {
        Assert.Null(FormatRegistry.Client(ClientFormat.OpenAIChat).TokenCount);
        Assert.Null(FormatRegistry.Client(ClientFormat.OpenAIResponses).TokenCount);
        Assert.NotNull(FormatRegistry.Client(ClientFormat.OpenAIChat).ModelList);
        Assert.NotNull(FormatRegistry.Client(ClientFormat.Gemini).ModelList);
        Assert.NotNull(FormatRegistry.Client(ClientFormat.Anthropic).ModelList); // /v1/models with anthropic-version
        Assert.Null(FormatRegistry.Client(ClientFormat.OpenAIResponses).ModelList);
    }

    private static readonly CatalogModel Model = new("m-1", "Model One", "acme", 128000, 8192, new ModelPrices(1, 0, 2), []);

    [Fact]
    public async Task The_openai_model_list_keeps_its_wire_shape()
    {
        var list = FormatRegistry.Client(ClientFormat.OpenAIChat).ModelList!;
        Assert.Equal("""{"object":"list","data":[{"id":"m-1","object":"model","created":1767225600,"owned_by":"acme","pricing":{"input_usd_per_million":0.000001,"cached_input_usd_per_million":0,"output_usd_per_million":0.000002},"context_window":128000,"max_output_tokens":8192}]}""",
            await WriteAsync(r => list.WriteListAsync(r, [Model], CancellationToken.None)));
        Assert.Equal("""{"id":"m-1","object":"model","created":1767225600,"owned_by":"acme","pricing":{"input_usd_per_million":0.000001,"cached_input_usd_per_million":0,"output_usd_per_million":0.000002},"context_window":128000,"max_output_tokens":8192}""",
            await WriteAsync(r => list.WriteModelAsync(r, Model, CancellationToken.None)));
    }

    [Fact]
    public async Task The_gemini_model_list_keeps_its_wire_shape()
    {
        var list = FormatRegistry.Client(ClientFormat.Gemini).ModelList!;
        const string model = """{"name":"models/m-1","baseModelId":"m-1","version":"001","displayName":"Model One","description":"Model One, served through NexRelay.","inputTokenLimit":128000,"outputTokenLimit":8192,"supportedGenerationMethods":["generateContent","streamGenerateContent","countTokens"]}""";
        Assert.Equal("""{"models":[""" + model + "]}", await WriteAsync(r => list.WriteListAsync(r, [Model], CancellationToken.None)));
        Assert.Equal(model, await WriteAsync(r => list.WriteModelAsync(r, Model, CancellationToken.None)));
    }

    [Fact]
    public async Task The_anthropic_model_list_has_anthropics_wire_shape()
    {
        var list = FormatRegistry.Client(ClientFormat.Anthropic).ModelList!;
        const string model = """{"id":"m-1","type":"model","display_name":"Model One","created_at":"2026-01-01T00:00:00Z","max_input_tokens":128000,"max_tokens":8192}""";
        Assert.Equal("""{"data":[""" + model + """],"first_id":"m-1","last_id":"m-1","has_more":false}""", await WriteAsync(r => list.WriteListAsync(r, [Model], CancellationToken.None)));
        Assert.Equal("""{"data":[],"first_id":null,"last_id":null,"has_more":false}""", await WriteAsync(r => list.WriteListAsync(r, [], CancellationToken.None)));
        Assert.Equal(model, await WriteAsync(r => list.WriteModelAsync(r, Model, CancellationToken.None)));
    }

    [Theory]
    [InlineData("x-goog-api-key", ClientFormat.Gemini)]
    [InlineData("authorization", ClientFormat.OpenAIChat)]
    [InlineData("x-api-key", ClientFormat.OpenAIChat)]
    [InlineData("anthropic-version", ClientFormat.Anthropic)]
    public void A_route_shared_by_every_vendor_follows_the_credentials(string header, ClientFormat expected)
    {
        var http = new DefaultHttpContext();
        http.Request.Headers[header] = "k";
        Assert.Equal(expected, RouteFormat.ByCredentials.For(http.Request).Format);
    }

    [Fact]
    public void A_google_key_in_the_query_counts_as_google_credentials()
    {
        var http = new DefaultHttpContext();
        http.Request.QueryString = new QueryString("?key=k");
        Assert.Equal(ClientFormat.Gemini, RouteFormat.ByCredentials.For(http.Request).Format);
    }

    private static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();

    private static string Answer(ITokenCountShape shape, long count)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer)) shape.WriteAnswer(json, count);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static async Task<string> WriteAsync(Func<HttpResponse, Task> write)
    {
        var http = new DefaultHttpContext();
        var body = new MemoryStream();
        http.Response.Body = body;
        await write(http.Response);
        Assert.Equal("application/json", http.Response.ContentType);
        return Encoding.UTF8.GetString(body.ToArray());
    }
}
