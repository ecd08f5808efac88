using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Anthropic;
using Anthropic.Models.Messages;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Tests.Translation;

/// <summary>The official Anthropic SDK, with response validation on, against a fake edge translating to an OpenAI upstream.</summary>
public sealed class AnthropicSdkTests
{
    private const string OpenAIResponse = """
        {"id":"chatcmpl-up","object":"chat.completion","created":1,"model":"gpt-up",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Hello, wörld ✓","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],
         "usage":{"prompt_tokens":100,"completion_tokens":50,"prompt_tokens_details":{"cached_tokens":40}}}
        """;

    private sealed class FakeEdge : HttpMessageHandler
    {
        public string? Path { get; private set; }
        public ChatRequest? Parsed { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Path = request.RequestUri!.AbsolutePath;
            var format = FormatRegistry.Client(ClientFormat.Anthropic);
            Parsed = format.ParseRequest(TranslationHarness.Json(await request.Content!.ReadAsStringAsync(cancellationToken)), null, null);
            if (Parsed.Stream)
            {
                var sse = TranslationHarness.Translate(UpstreamKind.OpenAI, ClientFormat.Anthropic, StreamingTranslationTests.OpenAIStream, 5, Parsed, "req1", Parsed.Model);
                var content = new StringContent(sse, Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue("text/event-stream");
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
            }
            var parsed = FormatRegistry.Upstream(UpstreamKind.OpenAI).ParseResponse(TranslationHarness.Json(OpenAIResponse));
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(format.WriteResponse(parsed, Parsed.Model).ToJsonString(), Encoding.UTF8, "application/json"),
            };
        }
    }

    private static AnthropicClient ClientFor(FakeEdge edge) => new()
    {
        ApiKey = "sk-ant-test",
        BaseUrl = "http://edge.test",
        HttpClient = new HttpClient(edge),
        ResponseValidation = true,
        MaxRetries = 0,
    };

    private static MessageCreateParams Params() => new()
    {
        Model = "public-model",
        MaxTokens = 300,
        System = "Be brief.",
        Messages = [new UserMessageParam { Content = "Weather in Paris?" }],
    };

    [Fact]
    public async Task Anthropic_SDK_round_trips_through_an_OpenAI_upstream()
    {
        var edge = new FakeEdge();
        var message = await ClientFor(edge).Messages.Create(Params(), CancellationToken.None);

        Assert.Equal("/v1/messages", edge.Path);
        Assert.Equal(("public-model", 300), (edge.Parsed!.Model, edge.Parsed.MaxOutputTokens!.Value));
        Assert.Equal(60, message.Usage.InputTokens);
        Assert.Equal(40, message.Usage.CacheReadInputTokens);
        Assert.Equal(2, message.Content.Count);
    }

    [Fact]
    public async Task Anthropic_SDK_streams_through_an_OpenAI_upstream()
    {
        var edge = new FakeEdge();
        var p = Params();
        var events = new List<RawMessageStreamEvent>();
        await foreach (var e in ClientFor(edge).Messages.CreateStreaming(p, CancellationToken.None)) events.Add(e);

        Assert.True(edge.Parsed!.Stream);
        Assert.Equal(17, events.Count); // message_start, thinking (3), text (4), tool (4), tool (3), message_delta, message_stop
        foreach (var e in events) e.Validate();
    }
}
