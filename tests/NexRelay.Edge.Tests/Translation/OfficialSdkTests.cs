using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using NexRelay.Edge.Translation;
using OpenAI.Chat;
using OpenAI.Responses;

namespace NexRelay.Edge.Tests.Translation;

/// <summary>
/// The official SDKs talk, unchanged, to a fake edge that does exactly what the relay does with translation: parse the
/// client's body, build the upstream request, and answer from a recorded upstream response or stream. No network.
/// </summary>
public sealed class OfficialSdkTests
{
    private const string AnthropicResponse = """
        {"id":"msg_up","type":"message","role":"assistant","model":"claude-up",
         "content":[{"type":"text","text":"Hello, wörld ✓"},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris \"x\"","days":[1,2]}}],
         "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":60,"cache_read_input_tokens":40,"output_tokens":50}}
        """;

    private sealed class FakeEdge(ClientFormat client, UpstreamKind upstream, string upstreamResponse, string upstreamStream) : HttpMessageHandler
    {
        public ChatRequest? Parsed { get; private set; }
        public JsonObject? UpstreamBody { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = TranslationHarness.Json(await request.Content!.ReadAsStringAsync(cancellationToken));
            var format = FormatRegistry.Client(client);
            Parsed = format.ParseRequest(body, null, null);
            UpstreamBody = FormatRegistry.Upstream(upstream).BuildRequest(Parsed, "up-model", 1000, Parsed.Stream).Body;
            if (Parsed.Stream)
            {
                var sse = TranslationHarness.Translate(upstream, client, upstreamStream, 5, Parsed, "req1", Parsed.Model);
                var content = new StringContent(sse, Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue("text/event-stream");
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
            }
            var parsed = FormatRegistry.Upstream(upstream).ParseResponse(TranslationHarness.Json(upstreamResponse));
            var json = format.WriteResponse(parsed, Parsed.Model).ToJsonString();
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        }
    }

    private static readonly BinaryData WeatherSchema = BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""");

    private static ChatClient ChatClientFor(FakeEdge edge) => new("public-model", new ApiKeyCredential("sk-test"), new OpenAI.OpenAIClientOptions
    {
        Endpoint = new Uri("http://edge.test/v1"),
        Transport = new HttpClientPipelineTransport(new HttpClient(edge)),
    });

    private static OpenAI.Chat.ChatMessage[] Conversation() =>
    [
        new SystemChatMessage("Be brief."),
        new UserChatMessage("Weather in Paris?"),
        new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall("call_0", "get_weather", BinaryData.FromString("""{"city":"Rome"}"""))]),
        new ToolChatMessage("call_0", "sunny"),
        new UserChatMessage("And Paris?"),
    ];

    [Fact]
    public async Task OpenAI_chat_SDK_round_trips_through_an_Anthropic_upstream()
    {
        var edge = new FakeEdge(ClientFormat.OpenAIChat, UpstreamKind.Anthropic, AnthropicResponse, StreamingTranslationTests.AnthropicStream);
        var options = new ChatCompletionOptions { Tools = { ChatTool.CreateFunctionTool("get_weather", "Weather", WeatherSchema) }, MaxOutputTokenCount = 200, Temperature = 0.5f };

        ChatCompletion completion = await ChatClientFor(edge).CompleteChatAsync(Conversation(), options);

        Assert.Equal(("public-model", 200, 0.5), (edge.Parsed!.Model, edge.Parsed.MaxOutputTokens!.Value, Math.Round(edge.Parsed.Temperature!.Value, 3)));
        Assert.Equal("get_weather", (string)edge.UpstreamBody!["messages"]![1]!["content"]![0]!["name"]!);
        Assert.Equal("call_0", (string)edge.UpstreamBody["messages"]![2]!["content"]![0]!["tool_use_id"]!);
        Assert.Equal("Hello, wörld ✓", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.Equal("""{"city":"Paris \"x\"","days":[1,2]}""", completion.ToolCalls[0].FunctionArguments.ToString());
        Assert.Equal(100, completion.Usage.InputTokenCount);
        Assert.Equal(40, completion.Usage.InputTokenDetails.CachedTokenCount);
    }

    [Fact]
    public async Task OpenAI_chat_SDK_streams_through_an_Anthropic_upstream()
    {
        var edge = new FakeEdge(ClientFormat.OpenAIChat, UpstreamKind.Anthropic, AnthropicResponse, StreamingTranslationTests.AnthropicStream);
        var options = new ChatCompletionOptions { Tools = { ChatTool.CreateFunctionTool("get_weather", "Weather", WeatherSchema) } };
        var text = new StringBuilder();
        var args = new Dictionary<int, StringBuilder>();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;

        await foreach (var update in ChatClientFor(edge).CompleteChatStreamingAsync(Conversation(), options))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            foreach (var call in update.ToolCallUpdates)
            {
                if (!args.TryGetValue(call.Index, out var sb)) args[call.Index] = sb = new StringBuilder();
                sb.Append(call.FunctionArgumentsUpdate?.ToString());
            }
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.True(edge.Parsed!.Stream);
        Assert.Equal("Hello, wörld ✓", text.ToString());
        Assert.Equal("""{"city":"Paris \"x\"","days":[1,2]}""", args[0].ToString());
        Assert.Equal("{}", args[1].ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.True(edge.Parsed.IncludeStreamUsage); // the .NET SDK asks for the usage chunk
        Assert.Equal(40, usage!.InputTokenDetails.CachedTokenCount);
    }

#pragma warning disable OPENAI001 // the Responses client is marked experimental in the SDK
    private static ResponsesClient ResponsesClientFor(FakeEdge edge) => new(new ApiKeyCredential("sk-test"), new ResponsesClientOptions
    {
        Endpoint = new Uri("http://edge.test/v1"),
        Transport = new HttpClientPipelineTransport(new HttpClient(edge)),
    });

    private static CreateResponseOptions ResponseOptions(bool stream)
    {
        var options = new CreateResponseOptions("public-model",
        [
            ResponseItem.CreateUserMessageItem("Weather in Paris?"),
            ResponseItem.CreateFunctionCallItem("call_0", "get_weather", BinaryData.FromString("""{"city":"Rome"}""")),
            ResponseItem.CreateFunctionCallOutputItem("call_0", "sunny"),
        ])
        {
            Instructions = "Be brief.",
            MaxOutputTokenCount = 300,
            StreamingEnabled = stream ? true : null,
        };
        options.Tools.Add(ResponseTool.CreateFunctionTool("get_weather", WeatherSchema, null, "Weather"));
        return options;
    }

    [Fact]
    public async Task OpenAI_responses_SDK_round_trips_through_a_Gemini_upstream()
    {
        var edge = new FakeEdge(ClientFormat.OpenAIResponses, UpstreamKind.Gemini, """
            {"candidates":[{"content":{"role":"model","parts":[{"text":"Hello"},{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}]},"finishReason":"STOP"}],
             "usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":5,"totalTokenCount":15},"responseId":"g1"}
            """, StreamingTranslationTests.GeminiStream);

        ResponseResult response = await ResponsesClientFor(edge).CreateResponseAsync(ResponseOptions(stream: false));

        Assert.Equal([new TextPart("Be brief.")], edge.Parsed!.System);
        Assert.Equal("get_weather", (string)edge.UpstreamBody!["contents"]![2]!["parts"]![0]!["functionResponse"]!["name"]!);
        var call = Assert.IsType<FunctionCallResponseItem>(response.OutputItems[1]);
        Assert.Equal(("get_weather", """{"city":"Paris"}"""), (call.FunctionName, call.FunctionArguments.ToString()));
        Assert.Equal(10, response.Usage.InputTokenCount);
    }

    [Fact]
    public async Task OpenAI_responses_SDK_streams_through_a_Gemini_upstream()
    {
        var edge = new FakeEdge(ClientFormat.OpenAIResponses, UpstreamKind.Gemini, "{}", StreamingTranslationTests.GeminiStream);
        var text = new StringBuilder();
        ResponseResult? completed = null;

        await foreach (var update in await ResponsesClientFor(edge).CreateResponseStreamingAsync(ResponseOptions(stream: true)))
        {
            if (update is StreamingResponseOutputTextDeltaUpdate delta) text.Append(delta.Delta);
            if (update is StreamingResponseCompletedUpdate done) completed = done.Response;
        }

        Assert.Equal("Hello, wörld ✓", text.ToString());
        Assert.NotNull(completed);
        Assert.Equal(100, completed.Usage.InputTokenCount);
        Assert.Equal(2, completed.OutputItems.OfType<FunctionCallResponseItem>().Count());
    }
#pragma warning restore OPENAI001
}
