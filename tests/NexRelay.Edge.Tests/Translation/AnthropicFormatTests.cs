using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Edge.Translation;
using static NexRelay.Edge.Tests.Translation.TranslationHarness;

namespace NexRelay.Edge.Tests.Translation;

public sealed class AnthropicFormatTests
{
    private static readonly IClientFormat Format = FormatRegistry.Client(ClientFormat.Anthropic);

    [Fact]
    public void Full_request_parses_into_the_neutral_model()
    {
        var r = Format.ParseRequest(Json("""
            {
              "model": "claude-sonnet-4-5",
              "max_tokens": 2048,
              "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
              "messages": [
                {"role": "user", "content": [
                  {"type": "text", "text": "Describe"},
                  {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}},
                  {"type": "image", "source": {"type": "url", "url": "https://example.com/x.png"}}
                ]},
                {"role": "assistant", "content": [
                  {"type": "thinking", "thinking": "Hmm", "signature": "sig"},
                  {"type": "text", "text": "Let me check."},
                  {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "x"}}
                ]},
                {"role": "user", "content": [
                  {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "found"}], "is_error": true},
                  {"type": "text", "text": "Go on"}
                ]}
              ],
              "tools": [{"name": "lookup", "description": "Find", "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}}],
              "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
              "stop_sequences": ["###"],
              "temperature": 0.7,
              "top_k": 40,
              "thinking": {"type": "enabled", "budget_tokens": 4096},
              "metadata": {"user_id": "u-1"},
              "stream": true
            }
            """), null, null);

        Assert.Equal([new TextPart("Be brief.")], r.System);
        Assert.Equal(2048, r.MaxOutputTokens);
        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.User], r.Messages.Select(m => m.Role));
        Assert.Equal(new ImagePart(null, "image/png", "iVBO"), r.Messages[0].Parts[1]);
        Assert.Equal(new ImagePart("https://example.com/x.png", null, null), r.Messages[0].Parts[2]);
        Assert.Equal(new ReasoningPart("Hmm", "sig"), r.Messages[1].Parts[0]);
        Assert.Equal(new ToolCallPart("toolu_1", "lookup", """{"q":"x"}"""), r.Messages[1].Parts[2]);
        Assert.Equal(new ToolResultPart("toolu_1", "lookup", "found", IsError: true), Assert.Single(r.Messages[2].Parts));
        Assert.Equal(new TextPart("Go on"), Assert.Single(r.Messages[3].Parts));
        Assert.Equal(new ToolChoice(ToolChoiceKind.Required), r.ToolChoice);
        Assert.False(r.ParallelToolCalls);
        Assert.Equal(["###"], r.Stop);
        Assert.Equal((0.7, 40), (r.Temperature, r.TopK));
        Assert.Equal(new ReasoningConfig(null, 4096), r.Reasoning);
        Assert.Equal("u-1", r.User);
        Assert.True(r.Stream);
    }

    [Fact]
    public void System_messages_in_the_list_join_the_system_prompt()
    {
        var r = Format.ParseRequest(Json("""{"model":"c","max_tokens":10,"system":"A","messages":[{"role":"user","content":"hi"},{"role":"system","content":[{"type":"text","text":"B"}]}]}"""), null, null);
        Assert.Equal([new TextPart("A"), new TextPart("B")], r.System);
        Assert.Single(r.Messages);
    }

    [Fact]
    public void String_system_and_content_parse()
    {
        var r = Format.ParseRequest(Json("""{"model":"c","max_tokens":10,"system":"S","messages":[{"role":"user","content":"hi"}]}"""), null, null);
        Assert.Equal([new TextPart("S")], r.System);
        Assert.Equal(new TextPart("hi"), Assert.Single(Assert.Single(r.Messages).Parts));
    }

    [Theory]
    [InlineData("""{"max_tokens":1,"messages":[{"role":"user","content":"x"}]}""", "model")]
    [InlineData("""{"model":"c","max_tokens":1}""", "messages")]
    [InlineData("""{"model":"c","max_tokens":1,"messages":[{"role":"tool","content":"x"}]}""", "messages[0].role")]
    [InlineData("""{"model":"c","max_tokens":1,"messages":[{"role":"system","content":[{"type":"image"}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"model":"c","max_tokens":"1","messages":[{"role":"user","content":"x"}]}""", "max_tokens")]
    [InlineData("""{"model":"c","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_use","id":"a","name":"b","input":{}}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"model":"c","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"f"}}]}]}""", "messages[0].content[0].source.type")]
    [InlineData("""{"model":"c","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text"}]}]}""", "messages[0].content[0].text")]
    [InlineData("""{"model":"c","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"t"}]}""", "tools[0].input_schema")]
    [InlineData("""{"model":"c","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]}""", "tools[0].type")]
    [InlineData("""{"model":"c","max_tokens":1,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled"}}""", "thinking.budget_tokens")]
    [InlineData("""{"model":"c","max_tokens":1,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":100}}""", "thinking.budget_tokens")]
    [InlineData("""{"model":"c","max_tokens":1,"messages":[{"role":"user","content":"x"}],"temperature":1.5}""", "temperature")]
    [InlineData("""{"model":"c","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"tool"}}""", "tool_choice.name")]
    [InlineData("""{"model":"c","max_tokens":1,"messages":[{"role":"user","content":"x"}],"system":[{"type":"image"}]}""", "system[0].type")]
    public void Invalid_requests_name_the_parameter(string body, string param)
    {
        var e = Assert.Throws<RequestValidationException>(() => Format.ParseRequest(Json(body), null, null));
        Assert.Equal(param, e.Param);
    }

    [Fact]
    public void Passthrough_edits_change_only_model_and_max_tokens()
    {
        var body = Json("""{"model":"pub","max_tokens":5,"messages":[],"cache_control":{"type":"ephemeral"},"service_tier":"auto"}""");
        Format.ApplyPassthroughEdits(body, "claude-up", 321, stream: true);
        Assert.Equal("""{"model":"claude-up","max_tokens":321,"messages":[],"cache_control":{"type":"ephemeral"},"service_tier":"auto"}""", body.ToJsonString());
    }

    [Fact]
    public void Response_maps_blocks_stop_reason_and_usage()
    {
        var json = Wire(Format.WriteResponse(new ChatResponse
        {
            Id = "chatcmpl-1",
            Model = "gpt",
            Output = [new ReasoningPart("hm", "sig"), new TextPart("Hi"), new ToolCallPart("call_1", "f", """{"a":[1]}""")],
            FinishReason = FinishReason.ToolCalls,
            Usage = new Usage { InputTokens = 100, CachedInputTokens = 30, OutputTokens = 9, ReasoningTokens = 4 },
        }, "public"));

        Assert.Equal("msg_chatcmpl-1", (string)json["id"]!);
        Assert.Equal(("message", "assistant", "public", "tool_use"), ((string)json["type"]!, (string)json["role"]!, (string)json["model"]!, (string)json["stop_reason"]!));
        var content = (JsonArray)json["content"]!;
        Assert.Equal(["thinking", "text", "tool_use"], content.Select(c => (string)c!["type"]!));
        Assert.Equal("""{"a":[1]}""", content[2]!["input"]!.ToJsonString());
        Assert.Equal(70, (int)json["usage"]!["input_tokens"]!);
        Assert.Equal(30, (int)json["usage"]!["cache_read_input_tokens"]!);
        Assert.Equal(9, (int)json["usage"]!["output_tokens"]!);
    }

    [Theory]
    [InlineData(FinishReason.Stop, "end_turn")]
    [InlineData(FinishReason.Length, "max_tokens")]
    [InlineData(FinishReason.ToolCalls, "tool_use")]
    [InlineData(FinishReason.ContentFilter, "refusal")]
    public void Stop_reasons_map(FinishReason finish, string expected)
    {
        var json = Wire(Format.WriteResponse(new ChatResponse { Id = "msg_1", Model = "m", FinishReason = finish }, "m"));
        Assert.Equal(expected, (string)json["stop_reason"]!);
    }

    [Theory]
    [InlineData("not json", "_raw_arguments")]
    [InlineData("[1,2]", "value")]
    [InlineData("", null)]
    public void Tool_arguments_that_are_not_an_object_are_kept(string arguments, string? key)
    {
        var json = Wire(Format.WriteResponse(new ChatResponse { Id = "m", Model = "m", Output = [new ToolCallPart("c", "f", arguments)] }, "m"));
        var input = (JsonObject)json["content"]![0]!["input"]!;
        if (key is null) Assert.Empty(input);
        else Assert.True(input.ContainsKey(key));
    }

    [Fact]
    public void Response_is_readable_by_the_official_Anthropic_SDK()
    {
        var json = Format.WriteResponse(new ChatResponse
        {
            Id = "msg_1",
            Model = "x",
            Output = [new TextPart("Hello"), new ToolCallPart("toolu_1", "f", """{"a":1}""")],
            FinishReason = FinishReason.ToolCalls,
            Usage = new Usage { InputTokens = 10, CachedInputTokens = 4, OutputTokens = 2 },
        }, "public");
        var message = JsonSerializer.Deserialize<Anthropic.Models.Messages.Message>(json.ToJsonString())!;
        message.Validate();

        Assert.Equal("msg_1", message.ID);
        Assert.Equal(6, message.Usage.InputTokens);
        Assert.Equal(4, message.Usage.CacheReadInputTokens);
        Assert.Equal(2, message.Content.Count);
    }

    [Fact]
    public void Stream_events_are_readable_by_the_official_Anthropic_SDK()
    {
        var output = Translate(UpstreamKind.Gemini, ClientFormat.Anthropic, StreamingTranslationTests.GeminiStream, 0);
        var events = ParseSse(output);
        foreach (var e in events)
        {
            var streamEvent = JsonSerializer.Deserialize<Anthropic.Models.Messages.RawMessageStreamEvent>(e.Data)!;
            streamEvent.Validate();
        }
        // The whole stream was read (a loop over no events would pass): thinking, text, two tool calls, then the end.
        Assert.Equal(
        [
            "message_start",
            "content_block_start", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_stop",
            "message_delta", "message_stop",
        ], events.Select(e => e.EventName!));
    }
}
