using System.Text.Json.Nodes;
using NexRelay.Edge.Translation;
using static NexRelay.Edge.Tests.Translation.TranslationHarness;

namespace NexRelay.Edge.Tests.Translation;

/// <summary>Upstream response → neutral → client response, and upstream error envelopes.</summary>
public sealed class UpstreamResponseTests
{
    private const string OpenAIResponse = """
        {"id":"chatcmpl-up","object":"chat.completion","created":1,"model":"gpt-up",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Hi","refusal":null,
           "tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":\"\\\"q\\\"\"}"}}]},"finish_reason":"tool_calls"}],
         "usage":{"prompt_tokens":100,"completion_tokens":50,"total_tokens":150,"prompt_tokens_details":{"cached_tokens":40},"completion_tokens_details":{"reasoning_tokens":20}}}
        """;

    private const string AnthropicResponse = """
        {"id":"msg_up","type":"message","role":"assistant","model":"claude-up",
         "content":[{"type":"thinking","thinking":"hm","signature":"sig"},{"type":"text","text":"Hi"},{"type":"tool_use","id":"toolu_1","name":"f","input":{"a":"\"q\""}}],
         "stop_reason":"tool_use","stop_sequence":null,
         "usage":{"input_tokens":50,"cache_read_input_tokens":40,"cache_creation_input_tokens":10,"output_tokens":50}}
        """;

    private const string GeminiResponse = """
        {"candidates":[{"content":{"role":"model","parts":[{"text":"hm","thought":true},{"text":"Hi"},{"functionCall":{"name":"f","args":{"a":"\"q\""}}}]},"finishReason":"STOP","index":0}],
         "usageMetadata":{"promptTokenCount":100,"cachedContentTokenCount":40,"candidatesTokenCount":30,"thoughtsTokenCount":20,"totalTokenCount":150},
         "modelVersion":"gemini-up","responseId":"gemresp"}
        """;

    public static TheoryData<UpstreamKind> Upstreams() => [UpstreamKind.OpenAI, UpstreamKind.Anthropic, UpstreamKind.Gemini];

    private static ChatResponse Parse(UpstreamKind kind) => FormatRegistry.Upstream(kind).ParseResponse(Json(kind switch
    {
        UpstreamKind.OpenAI => OpenAIResponse,
        UpstreamKind.Anthropic => AnthropicResponse,
        _ => GeminiResponse,
    }));

    [Theory]
    [MemberData(nameof(Upstreams))]
    public void Upstream_responses_parse_to_text_calls_finish_and_usage(UpstreamKind kind)
    {
        var r = Parse(kind);
        Assert.Equal("Hi", string.Concat(r.Output.OfType<TextPart>().Select(t => t.Text)));
        var call = Assert.Single(r.Output.OfType<ToolCallPart>());
        Assert.Equal("f", call.Name);
        Assert.Equal("""{"a":"\"q\""}""", call.ArgumentsJson);
        Assert.Equal(FinishReason.ToolCalls, r.FinishReason);
        Assert.Equal(100, r.Usage!.InputTokens);
        Assert.Equal(40, r.Usage.CachedInputTokens);
        Assert.Equal(50, r.Usage.OutputTokens);
        Assert.Equal(kind == UpstreamKind.Anthropic ? 0 : 20, r.Usage.ReasoningTokens);
        Assert.Equal(kind switch { UpstreamKind.OpenAI => "chatcmpl-up", UpstreamKind.Anthropic => "msg_up", _ => "gemresp" }, r.Id);
        if (kind != UpstreamKind.OpenAI) Assert.Equal("hm", Assert.Single(r.Output.OfType<ReasoningPart>()).Text);
    }

    [Theory]
    [MemberData(nameof(Upstreams))]
    public void Every_pair_round_trips_a_response(UpstreamKind kind)
    {
        var neutral = Parse(kind);

        var chat = Wire(FormatRegistry.Client(ClientFormat.OpenAIChat).WriteResponse(neutral, "pub"));
        Assert.Equal("Hi", (string)chat["choices"]![0]!["message"]!["content"]!);
        Assert.Equal("""{"a":"\"q\""}""", (string)chat["choices"]![0]!["message"]!["tool_calls"]![0]!["function"]!["arguments"]!);
        Assert.Equal(40, (int)chat["usage"]!["prompt_tokens_details"]!["cached_tokens"]!);

        var responses = Wire(FormatRegistry.Client(ClientFormat.OpenAIResponses).WriteResponse(neutral, "pub"));
        Assert.Equal("""{"a":"\"q\""}""", (string)((JsonArray)responses["output"]!).Single(o => (string)o!["type"]! == "function_call")!["arguments"]!);
        Assert.Equal(50, (int)responses["usage"]!["output_tokens"]!);

        var anthropic = Wire(FormatRegistry.Client(ClientFormat.Anthropic).WriteResponse(neutral, "pub"));
        Assert.Equal("\"q\"", (string)((JsonArray)anthropic["content"]!).Single(b => (string)b!["type"]! == "tool_use")!["input"]!["a"]!);
        // Anthropic's input_tokens leave out cache reads (40) and writes (10 from an Anthropic upstream; others report none).
        var written = kind == UpstreamKind.Anthropic ? 10 : 0;
        Assert.Equal(60 - written, (int)anthropic["usage"]!["input_tokens"]!);
        Assert.Equal(written, (int)anthropic["usage"]!["cache_creation_input_tokens"]!);
        Assert.Equal("tool_use", (string)anthropic["stop_reason"]!);

        var gemini = Wire(FormatRegistry.Client(ClientFormat.Gemini).WriteResponse(neutral, "pub"));
        var parts = (JsonArray)gemini["candidates"]![0]!["content"]!["parts"]!;
        Assert.Equal("\"q\"", (string)parts.Single(p => p!["functionCall"] is not null)!["functionCall"]!["args"]!["a"]!);
        Assert.Equal(150, (int)gemini["usageMetadata"]!["totalTokenCount"]!);
    }

    [Theory]
    [InlineData("stop", FinishReason.Stop)]
    [InlineData("length", FinishReason.Length)]
    [InlineData("tool_calls", FinishReason.ToolCalls)]
    [InlineData("function_call", FinishReason.ToolCalls)]
    [InlineData("content_filter", FinishReason.ContentFilter)]
    [InlineData(null, FinishReason.Stop)]
    public void OpenAI_finish_reasons_map(string? reason, FinishReason expected)
    {
        var body = new JsonObject { ["id"] = "x", ["choices"] = new JsonArray(new JsonObject { ["message"] = new JsonObject { ["content"] = "a" }, ["finish_reason"] = reason }) };
        Assert.Equal(expected, FormatRegistry.Upstream(UpstreamKind.OpenAI).ParseResponse(body).FinishReason);
    }

    [Theory]
    [InlineData("end_turn", FinishReason.Stop)]
    [InlineData("stop_sequence", FinishReason.Stop)]
    [InlineData("max_tokens", FinishReason.Length)]
    [InlineData("tool_use", FinishReason.ToolCalls)]
    [InlineData("refusal", FinishReason.ContentFilter)]
    [InlineData("pause_turn", FinishReason.Stop)]
    public void Anthropic_stop_reasons_map(string reason, FinishReason expected)
    {
        var body = new JsonObject { ["id"] = "x", ["content"] = new JsonArray(), ["stop_reason"] = reason };
        Assert.Equal(expected, FormatRegistry.Upstream(UpstreamKind.Anthropic).ParseResponse(body).FinishReason);
    }

    [Theory]
    [InlineData("STOP", FinishReason.Stop)]
    [InlineData("MAX_TOKENS", FinishReason.Length)]
    [InlineData("SAFETY", FinishReason.ContentFilter)]
    [InlineData("RECITATION", FinishReason.ContentFilter)]
    [InlineData("PROHIBITED_CONTENT", FinishReason.ContentFilter)]
    [InlineData("MALFORMED_FUNCTION_CALL", FinishReason.Error)]
    public void Gemini_finish_reasons_map(string reason, FinishReason expected)
    {
        var body = Json($$"""{"candidates":[{"content":{"role":"model","parts":[{"text":"a"}]},"finishReason":"{{reason}}"}]}""");
        Assert.Equal(expected, FormatRegistry.Upstream(UpstreamKind.Gemini).ParseResponse(body).FinishReason);
    }

    [Fact]
    public void Gemini_blocked_prompt_is_a_content_filter_finish()
    {
        var r = FormatRegistry.Upstream(UpstreamKind.Gemini).ParseResponse(Json("""{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":4}}"""));
        Assert.Equal(FinishReason.ContentFilter, r.FinishReason);
        Assert.Empty(r.Output);
        Assert.Equal(4, r.Usage!.InputTokens);
    }

    [Fact]
    public void Missing_usage_stays_null_and_missing_ids_are_generated()
    {
        var r = FormatRegistry.Upstream(UpstreamKind.OpenAI).ParseResponse(Json("""{"choices":[{"message":{"content":"a","tool_calls":[{"function":{"name":"f","arguments":"{}"}}]}}]}"""));
        Assert.Null(r.Usage);
        Assert.StartsWith("chatcmpl-", r.Id);
        Assert.StartsWith("call_", r.Output.OfType<ToolCallPart>().Single().Id);
    }

    [Theory]
    [InlineData(UpstreamKind.OpenAI, """{"error":{"message":"Invalid key","type":"invalid_request_error","code":"invalid_api_key"}}""", "Invalid key")]
    [InlineData(UpstreamKind.Anthropic, """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""", "Overloaded")]
    [InlineData(UpstreamKind.Gemini, """{"error":{"code":400,"message":"API key not valid","status":"INVALID_ARGUMENT"}}""", "API key not valid")]
    [InlineData(UpstreamKind.Gemini, """[{"error":{"code":429,"message":"Quota","status":"RESOURCE_EXHAUSTED"}}]""", "Quota")]
    [InlineData(UpstreamKind.OpenAI, """{"message":"plain"}""", "plain")]
    [InlineData(UpstreamKind.OpenAI, "\"nonsense\"", null)]
    [InlineData(UpstreamKind.Anthropic, """{"unexpected":1}""", null)]
    public void Error_messages_are_read_from_each_envelope(UpstreamKind kind, string body, string? expected)
    {
        Assert.Equal(expected, FormatRegistry.Upstream(kind).ReadErrorMessage(JsonNode.Parse(body)));
        Assert.Null(FormatRegistry.Upstream(kind).ReadErrorMessage(null));
    }
}
