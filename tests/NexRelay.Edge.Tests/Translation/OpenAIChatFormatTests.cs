using System.Text.Json.Nodes;
using NexRelay.Edge.Translation;
using NexRelay.Edge.Translation.OpenAI;
using static NexRelay.Edge.Tests.Translation.TranslationHarness;

namespace NexRelay.Edge.Tests.Translation;

public sealed class OpenAIChatFormatTests
{
    private static readonly IClientFormat Format = FormatRegistry.Client(ClientFormat.OpenAIChat);

    private const string FullRequest = """
        {
          "model": "gpt-4o",
          "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Use tools."}]},
            {"role": "user", "content": [
              {"type": "text", "text": "What is in these?"},
              {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg", "detail": "high"}},
              {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
            ]},
            {"role": "assistant", "content": null, "tool_calls": [
              {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
            {"role": "assistant", "content": "It is 18C."},
            {"role": "user", "content": "Thanks"}
          ],
          "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
          "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
          "parallel_tool_calls": false,
          "max_completion_tokens": 300,
          "temperature": 0.2,
          "top_p": 0.9,
          "stop": ["END", "STOP"],
          "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": true}},
          "reasoning_effort": "high",
          "stream": true,
          "stream_options": {"include_usage": true},
          "user": "u-42"
        }
        """;

    [Fact]
    public void Full_request_parses_into_the_neutral_model()
    {
        var r = Format.ParseRequest(Json(FullRequest), null, null);

        Assert.Equal("gpt-4o", r.Model);
        Assert.Equal([new TextPart("Be brief."), new TextPart("Use tools.")], r.System);
        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant, ChatRole.User], r.Messages.Select(m => m.Role));
        Assert.Equal(new ImagePart("https://example.com/a.jpg", null, null), r.Messages[0].Parts[1]);
        Assert.Equal(new ImagePart(null, "image/png", "iVBORw0KGgo="), r.Messages[0].Parts[2]);
        Assert.Equal(new ToolCallPart("call_1", "get_weather", """{"city":"Paris"}"""), Assert.Single(r.Messages[1].Parts));
        Assert.Equal(new ToolResultPart("call_1", "get_weather", "18C"), Assert.Single(r.Messages[2].Parts));
        Assert.Equal("get_weather", Assert.Single(r.Tools).Name);
        Assert.Equal(new ToolChoice(ToolChoiceKind.Tool, "get_weather"), r.ToolChoice);
        Assert.False(r.ParallelToolCalls);
        Assert.Equal(300, r.MaxOutputTokens);
        Assert.Equal(0.2, r.Temperature);
        Assert.Equal(0.9, r.TopP);
        Assert.Equal(["END", "STOP"], r.Stop);
        Assert.Equal(ResponseFormatKind.JsonSchema, r.ResponseFormat!.Kind);
        Assert.Equal("answer", r.ResponseFormat.Name);
        Assert.True(r.ResponseFormat.Strict);
        Assert.Equal("high", r.Reasoning!.Effort);
        Assert.True(r.Stream);
        Assert.True(r.IncludeStreamUsage);
        Assert.Equal("u-42", r.User);
    }

    [Fact]
    public void Legacy_max_tokens_and_string_stop_are_read()
    {
        var r = Format.ParseRequest(Json("""{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":12,"stop":"X"}"""), null, null);
        Assert.Equal(12, r.MaxOutputTokens);
        Assert.Equal(["X"], r.Stop);
        Assert.False(r.Stream);
        Assert.False(r.IncludeStreamUsage);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":5,"messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":"m"}""", "messages")]
    [InlineData("""{"model":"m","messages":{}}""", "messages")]
    [InlineData("""{"model":"m","messages":[]}""", "messages")]
    [InlineData("""{"model":"m","messages":[{"role":"wizard","content":"hi"}]}""", "messages[0].role")]
    [InlineData("""{"model":"m","messages":[{"content":"hi"}]}""", "messages[0].role")]
    [InlineData("""{"model":"m","messages":["hi"]}""", "messages[0]")]
    [InlineData("""{"model":"m","messages":[{"role":"user"}]}""", "messages[0].content")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":42}]}""", "messages[0].content")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio"}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"model":"m","messages":[{"role":"tool","content":"x"}]}""", "messages[0].tool_call_id")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}""", "temperature")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":3}""", "temperature")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":1.5}""", "max_tokens")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":0}""", "max_completion_tokens")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":"yes"}""", "stream")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"n":2}""", "n")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"code_interpreter"}]}""", "tools[0].type")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{}}]}""", "tools[0].function.name")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"tool_choice":"sometimes"}""", "tool_choice")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"xml"}}""", "response_format.type")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"stop":[1]}""", "stop[0]")]
    [InlineData("""{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function"}]}]}""", "messages[0].tool_calls[0].function")]
    public void Invalid_requests_name_the_parameter(string body, string param)
    {
        var e = Assert.Throws<RequestValidationException>(() => Format.ParseRequest(Json(body), null, null));
        Assert.Equal(param, e.Param);
    }

    [Fact]
    public void Passthrough_edits_change_only_model_limit_and_stream_usage()
    {
        var body = Json("""{"model":"public","messages":[],"max_tokens":5,"logit_bias":{"50256":-100},"seed":7,"stream":true,"stream_options":{"other":1}}""");
        Format.ApplyPassthroughEdits(body, "upstream-model", 900, stream: true);

        Assert.Equal("upstream-model", (string)body["model"]!);
        Assert.Equal(900, (int)body["max_tokens"]!);
        Assert.False(body.ContainsKey("max_completion_tokens"));
        Assert.True((bool)body["stream_options"]!["include_usage"]!);
        Assert.Equal(1, (int)body["stream_options"]!["other"]!);
        Assert.Equal(-100, (int)body["logit_bias"]!["50256"]!);
        Assert.Equal(7, (int)body["seed"]!);
    }

    [Fact]
    public void Passthrough_prefers_max_completion_tokens_and_leaves_non_streams_alone()
    {
        var body = Json("""{"model":"public","messages":[],"max_completion_tokens":5,"max_tokens":5}""");
        Format.ApplyPassthroughEdits(body, "u", 64, stream: false);
        Assert.Equal(64, (int)body["max_completion_tokens"]!);
        Assert.Equal(5, (int)body["max_tokens"]!);
        Assert.False(body.ContainsKey("stream_options"));

        var none = Json("""{"model":"public","messages":[]}""");
        Format.ApplyPassthroughEdits(none, "u", 64, stream: false);
        Assert.Equal(64, (int)none["max_completion_tokens"]!);
    }

    [Fact]
    public void Pass_through_drops_usage_only_events_only_for_chat_clients_that_did_not_ask_for_usage()
    {
        var chat = FormatRegistry.Client(ClientFormat.OpenAIChat);
        Assert.True(chat.DropsUsageOnlyEvents(chat.ParseRequest(Json("""{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true}"""), null, null)));
        Assert.False(chat.DropsUsageOnlyEvents(chat.ParseRequest(
            Json("""{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":true}}"""), null, null)));
        foreach (var other in new[] { ClientFormat.OpenAIResponses, ClientFormat.Anthropic, ClientFormat.Gemini })
        {
            Assert.False(FormatRegistry.Client(other).DropsUsageOnlyEvents(new ChatRequest { Model = "m", Stream = true }));
        }
    }

    [Theory]
    [InlineData("""{"id":"x","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":1}}""", true)]
    [InlineData("""{"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":{"prompt_tokens":1}}""", false)]
    [InlineData("""{"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"\"usage\""}}]}""", false)]
    public void The_usage_only_chunk_parses_to_usage_alone_so_the_relay_can_drop_it(string data, bool usageOnly)
    {
        // After the stream's first chunk (which opens it), as the usage chunk comes last.
        var parser = FormatRegistry.Upstream(UpstreamKind.OpenAI).CreateStreamParser();
        var events = new List<StreamEvent>();
        parser.Parse(null, """{"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant"}}]}"""u8, events);
        events.Clear();
        parser.Parse(null, System.Text.Encoding.UTF8.GetBytes(data), events);
        Assert.NotEmpty(events);
        Assert.Equal(usageOnly, events.All(e => e is UsageUpdate));
    }

    [Fact]
    public void Response_carries_text_tool_calls_usage_and_finish()
    {
        var json = Wire(Format.WriteResponse(new ChatResponse
        {
            Id = "msg_01abc",
            Model = "claude",
            Output = [new ReasoningPart("hidden"), new TextPart("Hi "), new TextPart("there"), new ToolCallPart("toolu_1", "f", """{"a":1}""")],
            FinishReason = FinishReason.ToolCalls,
            Usage = new Usage { InputTokens = 10, CachedInputTokens = 4, OutputTokens = 7, ReasoningTokens = 3 },
        }, "public"));

        Assert.Equal("chatcmpl-msg_01abc", (string)json["id"]!);
        Assert.Equal("chat.completion", (string)json["object"]!);
        Assert.Equal("public", (string)json["model"]!);
        var choice = json["choices"]![0]!;
        Assert.Equal("Hi there", (string)choice["message"]!["content"]!);
        Assert.Equal("tool_calls", (string)choice["finish_reason"]!);
        var call = choice["message"]!["tool_calls"]![0]!;
        Assert.Equal(("toolu_1", "function", "f", """{"a":1}"""),
            ((string)call["id"]!, (string)call["type"]!, (string)call["function"]!["name"]!, (string)call["function"]!["arguments"]!));
        Assert.Equal(10, (int)json["usage"]!["prompt_tokens"]!);
        Assert.Equal(4, (int)json["usage"]!["prompt_tokens_details"]!["cached_tokens"]!);
        Assert.Equal(7, (int)json["usage"]!["completion_tokens"]!);
        Assert.Equal(3, (int)json["usage"]!["completion_tokens_details"]!["reasoning_tokens"]!);
        Assert.Equal(17, (int)json["usage"]!["total_tokens"]!);
    }

    [Fact]
    public void Response_is_readable_by_the_official_OpenAI_SDK()
    {
        var json = Format.WriteResponse(new ChatResponse
        {
            Id = "chatcmpl-1",
            Model = "x",
            Output = [new TextPart("Hello"), new ToolCallPart("call_9", "lookup", """{"q":"x"}""")],
            FinishReason = FinishReason.ToolCalls,
            Usage = new Usage { InputTokens = 3, CachedInputTokens = 1, OutputTokens = 2, ReasoningTokens = 1 },
        }, "public");
        var completion = System.ClientModel.Primitives.ModelReaderWriter.Read<OpenAI.Chat.ChatCompletion>(BinaryData.FromString(json.ToJsonString()))!;

        Assert.Equal("chatcmpl-1", completion.Id);
        Assert.Equal("Hello", completion.Content[0].Text);
        Assert.Equal(OpenAI.Chat.ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.Equal("lookup", completion.ToolCalls[0].FunctionName);
        Assert.Equal("""{"q":"x"}""", completion.ToolCalls[0].FunctionArguments.ToString());
        Assert.Equal(3, completion.Usage.InputTokenCount);
        Assert.Equal(1, completion.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(1, completion.Usage.OutputTokenDetails.ReasoningTokenCount);
    }

    [Fact]
    public void Stream_chunks_are_readable_by_the_official_OpenAI_SDK()
    {
        var output = Translate(UpstreamKind.Anthropic, ClientFormat.OpenAIChat, StreamingTranslationTests.AnthropicStream, 0,
            new ChatRequest { Model = "m", IncludeStreamUsage = true });
        var updates = ParseSse(output)
            .Where(e => e.DataText != "[DONE]")
            .Select(e => System.ClientModel.Primitives.ModelReaderWriter.Read<OpenAI.Chat.StreamingChatCompletionUpdate>(BinaryData.FromBytes(e.Data))!)
            .ToList();

        Assert.Equal("Hello, wörld ✓", string.Concat(updates.SelectMany(u => u.ContentUpdate).Select(p => p.Text)));
        var args = string.Concat(updates.SelectMany(u => u.ToolCallUpdates).Where(t => t.Index == 0).Select(t => t.FunctionArgumentsUpdate?.ToString()));
        Assert.Equal("""{"city":"Paris \"x\"","days":[1,2]}""", args);
        Assert.Equal(OpenAI.Chat.ChatFinishReason.ToolCalls, updates.Single(u => u.FinishReason is not null).FinishReason);
        Assert.Equal(40, updates.Single(u => u.Usage is not null).Usage.InputTokenDetails.CachedTokenCount);
    }
}
