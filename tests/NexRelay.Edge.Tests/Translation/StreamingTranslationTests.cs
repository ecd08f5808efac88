using System.Text.Json.Nodes;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Tests.Translation;

public sealed class StreamingTranslationTests
{
    private const string Arguments = """{"city":"Paris \"x\"","days":[1,2]}""";

    internal const string OpenAIStream = """
        data: {"id":"chatcmpl-up","object":"chat.completion.chunk","created":1,"model":"gpt-up","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

        data: {"id":"chatcmpl-up","object":"chat.completion.chunk","created":1,"model":"gpt-up","choices":[{"index":0,"delta":{"reasoning_content":"Let me think."},"finish_reason":null}]}

        data: {"id":"chatcmpl-up","object":"chat.completion.chunk","created":1,"model":"gpt-up","choices":[{"index":0,"delta":{"content":"Hello, "},"finish_reason":null}]}

        data: {"id":"chatcmpl-up","object":"chat.completion.chunk","created":1,"model":"gpt-up","choices":[{"index":0,"delta":{"content":"wörld ✓"},"finish_reason":null}]}

        data: {"id":"chatcmpl-up","object":"chat.completion.chunk","created":1,"model":"gpt-up","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}

        data: {"id":"chatcmpl-up","object":"chat.completion.chunk","created":1,"model":"gpt-up","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Par"}}]},"finish_reason":null}]}

        data: {"id":"chatcmpl-up","object":"chat.completion.chunk","created":1,"model":"gpt-up","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"is \\\"x\\\"\",\"days\":[1,2]}"}}]},"finish_reason":null}]}

        data: {"id":"chatcmpl-up","object":"chat.completion.chunk","created":1,"model":"gpt-up","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_def","type":"function","function":{"name":"get_time","arguments":"{}"}}]},"finish_reason":null}]}

        data: {"id":"chatcmpl-up","object":"chat.completion.chunk","created":1,"model":"gpt-up","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

        data: {"id":"chatcmpl-up","object":"chat.completion.chunk","created":1,"model":"gpt-up","choices":[],"usage":{"prompt_tokens":100,"completion_tokens":50,"total_tokens":150,"prompt_tokens_details":{"cached_tokens":40},"completion_tokens_details":{"reasoning_tokens":20}}}

        data: [DONE]


        """;

    internal const string AnthropicStream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_up","type":"message","role":"assistant","model":"claude-up","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":60,"cache_read_input_tokens":40,"cache_creation_input_tokens":0,"output_tokens":1}}}

        event: ping
        data: {"type":"ping"}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me think."}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig123"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: content_block_start
        data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hello, "}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"wörld ✓"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":1}

        event: content_block_start
        data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"call_abc","name":"get_weather","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\":\"Par"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"is \\\"x\\\"\",\"days\":[1,2]}"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":2}

        event: content_block_start
        data: {"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"call_def","name":"get_time","input":{}}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":3}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":50}}

        event: message_stop
        data: {"type":"message_stop"}


        """;

    internal const string GeminiStream = """
        data: {"candidates":[{"content":{"role":"model","parts":[{"text":"Let me think.","thought":true}]},"index":0}],"modelVersion":"gemini-up","responseId":"gemresp1"}

        data: {"candidates":[{"content":{"role":"model","parts":[{"text":"Hello, "}]},"index":0}],"modelVersion":"gemini-up","responseId":"gemresp1"}

        data: {"candidates":[{"content":{"role":"model","parts":[{"text":"wörld ✓"}]},"index":0}],"modelVersion":"gemini-up","responseId":"gemresp1"}

        data: {"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"id":"call_abc","name":"get_weather","args":{"city":"Paris \"x\"","days":[1,2]}}},{"functionCall":{"id":"call_def","name":"get_time","args":{}}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":100,"cachedContentTokenCount":40,"candidatesTokenCount":30,"thoughtsTokenCount":20,"totalTokenCount":150},"modelVersion":"gemini-up","responseId":"gemresp1"}


        """;

    public static TheoryData<UpstreamKind, ClientFormat, int> Matrix()
    {
        var data = new TheoryData<UpstreamKind, ClientFormat, int>();
        foreach (var upstream in Enum.GetValues<UpstreamKind>())
        foreach (var client in Enum.GetValues<ClientFormat>())
        foreach (var size in new[] { 1, 0, 13, 100_000 })
        {
            data.Add(upstream, client, size);
        }
        return data;
    }

    internal static string Fixture(UpstreamKind kind) => kind switch
    {
        UpstreamKind.OpenAI => OpenAIStream,
        UpstreamKind.Anthropic => AnthropicStream,
        _ => GeminiStream,
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Text_reasoning_tool_calls_usage_and_finish_survive_translation(UpstreamKind upstream, ClientFormat client, int chunkSize)
    {
        var request = new ChatRequest { Model = "m", Stream = true, IncludeStreamUsage = true };
        var output = TranslationHarness.Translate(upstream, client, Fixture(upstream), chunkSize, request);
        var summary = ClientStreamReader.Read(client, output);

        Assert.Equal("Hello, wörld ✓", summary.Text);
        if (client != ClientFormat.OpenAIChat) Assert.Equal("Let me think.", summary.Reasoning);

        Assert.Equal(2, summary.ToolCalls.Count);
        Assert.Equal(("call_abc", "get_weather"), (summary.ToolCalls[0].Id, summary.ToolCalls[0].Name));
        Assert.Equal(("call_def", "get_time"), (summary.ToolCalls[1].Id, summary.ToolCalls[1].Name));
        if (client == ClientFormat.Gemini)
        {
            // Gemini carries arguments as an object, so compare as JSON.
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Arguments), JsonNode.Parse(summary.ToolCalls[0].Arguments)));
            Assert.Equal("{}", summary.ToolCalls[1].Arguments);
        }
        else
        {
            Assert.Equal(Arguments, summary.ToolCalls[0].Arguments); // byte-exact
            Assert.Equal("{}", summary.ToolCalls[1].Arguments);
        }

        Assert.Equal(client switch
        {
            ClientFormat.OpenAIChat => "tool_calls",
            ClientFormat.OpenAIResponses => "completed",
            ClientFormat.Anthropic => "tool_use",
            _ => "STOP",
        }, summary.FinishReason);

        var reasoningTokens = upstream == UpstreamKind.Anthropic ? 0 : 20; // Anthropic does not report thinking tokens apart
        var usage = summary.Usage!;
        switch (client)
        {
            case ClientFormat.OpenAIChat:
                Assert.Equal(100, (int)usage["prompt_tokens"]!);
                Assert.Equal(40, (int)usage["prompt_tokens_details"]!["cached_tokens"]!);
                Assert.Equal(50, (int)usage["completion_tokens"]!);
                Assert.Equal(reasoningTokens, (int)usage["completion_tokens_details"]!["reasoning_tokens"]!);
                Assert.Equal(150, (int)usage["total_tokens"]!);
                break;
            case ClientFormat.OpenAIResponses:
                Assert.Equal(100, (int)usage["input_tokens"]!);
                Assert.Equal(40, (int)usage["input_tokens_details"]!["cached_tokens"]!);
                Assert.Equal(50, (int)usage["output_tokens"]!);
                Assert.Equal(reasoningTokens, (int)usage["output_tokens_details"]!["reasoning_tokens"]!);
                break;
            case ClientFormat.Anthropic:
                Assert.Equal(60, (int)usage["input_tokens"]!); // excludes cache reads
                Assert.Equal(40, (int)usage["cache_read_input_tokens"]!);
                Assert.Equal(50, (int)usage["output_tokens"]!);
                break;
            case ClientFormat.Gemini:
                Assert.Equal(100, (int)usage["promptTokenCount"]!);
                Assert.Equal(40, (int)usage["cachedContentTokenCount"]!);
                Assert.Equal(50 - reasoningTokens, (int)usage["candidatesTokenCount"]!);
                Assert.Equal(reasoningTokens, (int?)usage["thoughtsTokenCount"] ?? 0);
                Assert.Equal(150, (int)usage["totalTokenCount"]!);
                break;
        }
    }

    [Theory]
    [InlineData(UpstreamKind.OpenAI)]
    [InlineData(UpstreamKind.Anthropic)]
    [InlineData(UpstreamKind.Gemini)]
    public void Upstream_tool_arguments_concatenate_to_exactly_the_upstream_arguments(UpstreamKind upstream)
    {
        foreach (var size in new[] { 1, 2, 0 })
        {
            var events = TranslationHarness.ParseUpstream(upstream, Fixture(upstream), size);
            var args = string.Concat(events.OfType<ToolCallDelta>().Where(d => d.Index == 0).Select(d => d.ArgumentsFragment));
            Assert.Equal(Arguments, args);
            Assert.Equal([0, 1], events.OfType<ToolCallStart>().Select(s => s.Index));
            Assert.IsType<StreamStart>(events[0]);
            Assert.Equal(FinishReason.ToolCalls, events.OfType<StreamFinish>().Single().Reason);
        }
    }

    [Theory]
    [InlineData(UpstreamKind.OpenAI, 100, 40, 50, 20)]
    [InlineData(UpstreamKind.Anthropic, 100, 40, 50, 0)]
    [InlineData(UpstreamKind.Gemini, 100, 40, 50, 20)]
    public void Upstream_usage_is_mapped_to_the_neutral_convention(UpstreamKind upstream, int input, int cached, int output, int reasoning)
    {
        var usage = TranslationHarness.ParseUpstream(upstream, Fixture(upstream), 0).OfType<UsageUpdate>().Last().Usage;
        Assert.Equal(new Usage { InputTokens = input, CachedInputTokens = cached, OutputTokens = output, ReasoningTokens = reasoning }, usage);
    }

    [Fact]
    public void OpenAI_chat_stream_has_no_usage_chunk_unless_the_client_asked()
    {
        var output = TranslationHarness.Translate(UpstreamKind.Anthropic, ClientFormat.OpenAIChat, AnthropicStream, 0,
            new ChatRequest { Model = "m", IncludeStreamUsage = false });
        var summary = ClientStreamReader.Read(ClientFormat.OpenAIChat, output);
        Assert.Null(summary.Usage);
        Assert.DoesNotContain("\"choices\":[]", output);

        var twoArgument = TranslationHarness.Translate(UpstreamKind.Anthropic, ClientFormat.OpenAIChat, AnthropicStream, 0);
        Assert.DoesNotContain("\"choices\":[]", twoArgument);
    }

    private const string OpenAILengthStream = """
        data: {"id":"chatcmpl-up","object":"chat.completion.chunk","created":1,"model":"gpt-up","choices":[{"index":0,"delta":{"role":"assistant","content":"Trunc"},"finish_reason":null}]}

        data: {"id":"chatcmpl-up","object":"chat.completion.chunk","created":1,"model":"gpt-up","choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":7}}

        data: [DONE]


        """;

    [Theory]
    [InlineData(ClientFormat.OpenAIChat, "length")]
    [InlineData(ClientFormat.OpenAIResponses, "incomplete")]
    [InlineData(ClientFormat.Anthropic, "max_tokens")]
    [InlineData(ClientFormat.Gemini, "MAX_TOKENS")]
    public void Output_limit_finish_is_mapped_per_format(ClientFormat client, string expected)
    {
        var output = TranslationHarness.Translate(UpstreamKind.OpenAI, client, OpenAILengthStream, 1,
            new ChatRequest { Model = "m", IncludeStreamUsage = true });
        var summary = ClientStreamReader.Read(client, output);
        Assert.Equal("Trunc", summary.Text);
        Assert.Equal(expected, summary.FinishReason);
        Assert.Empty(summary.ToolCalls);
        if (client == ClientFormat.OpenAIResponses)
        {
            Assert.Equal("response.incomplete", summary.EventTypes[^1]);
            Assert.Contains("\"reason\":\"max_output_tokens\"", output);
        }
    }

    [Theory]
    [InlineData(UpstreamKind.Anthropic, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n")]
    [InlineData(UpstreamKind.OpenAI, "data: {\"error\":{\"message\":\"Overloaded\",\"type\":\"server_error\"}}\n\n")]
    [InlineData(UpstreamKind.Gemini, "data: {\"error\":{\"code\":503,\"message\":\"Overloaded\",\"status\":\"UNAVAILABLE\"}}\n\n")]
    public void Upstream_in_stream_errors_become_failures(UpstreamKind upstream, string sse)
    {
        var events = TranslationHarness.ParseUpstream(upstream, sse, 1);
        Assert.Equal("Overloaded", Assert.IsType<StreamFailure>(Assert.Single(events)).Message);
    }

    [Theory]
    [InlineData(ClientFormat.OpenAIChat, "data: {\"error\":{\"message\":\"boom\"")]
    [InlineData(ClientFormat.OpenAIResponses, "event: error\ndata: {\"type\":\"error\",\"sequence_number\":")]
    [InlineData(ClientFormat.Anthropic, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"boom\"}}")]
    [InlineData(ClientFormat.Gemini, "data: {\"error\":{\"code\":500,\"message\":\"boom\"")]
    public void Errors_after_streaming_began_use_the_client_grammar_and_end_the_stream(ClientFormat client, string expected)
    {
        var writer = FormatRegistry.Client(client).CreateStreamWriter("r1", "m");
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        writer.Write(new StreamStart("up", "m"), output);
        writer.Write(new TextDelta("partial"), output);
        writer.Write(new StreamFailure("boom"), output);
        writer.WriteError("api_error", "again", output); // idempotent: one error only
        writer.Complete(null, output);
        var text = System.Text.Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.Contains(expected, text);
        Assert.DoesNotContain("again", text);
        Assert.DoesNotContain("message_stop", text);
        Assert.DoesNotContain("response.completed", text);
    }

    [Fact]
    public void Anthropic_tool_without_input_deltas_yields_empty_object_arguments()
    {
        var events = TranslationHarness.ParseUpstream(UpstreamKind.Anthropic, AnthropicStream, 0);
        Assert.Equal("{}", string.Concat(events.OfType<ToolCallDelta>().Where(d => d.Index == 1).Select(d => d.ArgumentsFragment)));
        Assert.Equal("sig123", events.OfType<ReasoningDelta>().Single(r => r.Signature is not null).Signature);
    }

    [Fact]
    public void Responses_sequence_numbers_increase_and_items_nest_properly()
    {
        var output = TranslationHarness.Translate(UpstreamKind.Gemini, ClientFormat.OpenAIResponses, GeminiStream, 1);
        var types = ClientStreamReader.Read(ClientFormat.OpenAIResponses, output).EventTypes;
        Assert.Equal(
        [
            "response.created", "response.in_progress",
            "response.output_item.added", "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done", "response.reasoning_summary_part.done", "response.output_item.done",
            "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
            "response.output_text.done", "response.content_part.done", "response.output_item.done",
            "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
            "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
            "response.completed",
        ], types);
    }

    [Fact]
    public void Anthropic_stream_block_sequence_is_exact()
    {
        var output = TranslationHarness.Translate(UpstreamKind.OpenAI, ClientFormat.Anthropic, OpenAIStream, 1);
        var types = ClientStreamReader.Read(ClientFormat.Anthropic, output).EventTypes;
        Assert.Equal(
        [
            "message_start",
            "content_block_start", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_stop",
            "message_delta", "message_stop",
        ], types);
    }
}

public sealed class StreamRobustnessTests
{
    [Theory]
    [InlineData(ClientFormat.OpenAIChat)]
    [InlineData(ClientFormat.OpenAIResponses)]
    [InlineData(ClientFormat.Anthropic)]
    [InlineData(ClientFormat.Gemini)]
    public void A_surrogate_pair_split_across_chunks_does_not_break_the_stream(ClientFormat client)
    {
        var sse = TranslationHarness.Sse(
            """{"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"ok \ud83d"},"finish_reason":null}]}""",
            """{"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"\ude00 done"},"finish_reason":"stop"}]}""",
            "[DONE]");
        var output = TranslationHarness.Translate(UpstreamKind.OpenAI, client, sse, 3);
        var summary = ClientStreamReader.Read(client, output);
        Assert.StartsWith("ok ", summary.Text);
        Assert.EndsWith(" done", summary.Text);
    }

    [Theory]
    [InlineData(ClientFormat.OpenAIChat, "stop")]
    [InlineData(ClientFormat.OpenAIResponses, "completed")]
    [InlineData(ClientFormat.Anthropic, "end_turn")]
    [InlineData(ClientFormat.Gemini, "STOP")]
    public void An_empty_answer_is_still_a_well_formed_stream(ClientFormat client, string finish)
    {
        var writer = FormatRegistry.Client(client).CreateStreamWriter("r1", "m", new ChatRequest { Model = "m", IncludeStreamUsage = true });
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        writer.Write(new StreamStart("up", "m"), output);
        writer.Complete(new Usage { InputTokens = 3 }, output);
        writer.Write(new TextDelta("late"), output); // nothing after completion
        var text = System.Text.Encoding.UTF8.GetString(output.WrittenSpan);

        var summary = ClientStreamReader.Read(client, text);
        Assert.Equal("", summary.Text);
        Assert.Equal(finish, summary.FinishReason);
        Assert.DoesNotContain("late", text);
    }

    [Fact]
    public void Text_after_tool_calls_opens_new_items_in_order()
    {
        var writer = FormatRegistry.Client(ClientFormat.OpenAIResponses).CreateStreamWriter("r1", "m");
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        writer.Write(new TextDelta("a"), output);
        writer.Write(new ToolCallStart(0, "call_1", "f"), output);
        writer.Write(new ToolCallDelta(0, "{}"), output);
        writer.Write(new TextDelta("b"), output);
        writer.Complete(null, output);
        var summary = ClientStreamReader.Read(ClientFormat.OpenAIResponses, System.Text.Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal("ab", summary.Text);
        Assert.Equal(3, summary.EventTypes.Count(t => t == "response.output_item.added"));
    }

    [Theory]
    [InlineData("reasoning_content")]
    [InlineData("reasoning")]
    public void OpenAI_compatible_reasoning_fields_become_reasoning(string field)
    {
        var events = TranslationHarness.ParseUpstream(UpstreamKind.OpenAI, TranslationHarness.Sse(
            $$"""{"id":"c","model":"m","choices":[{"index":0,"delta":{"{{field}}":"hmm"},"finish_reason":null}]}"""), 1);
        Assert.Equal("hmm", events.OfType<ReasoningDelta>().Single().Text);
    }

    [Fact]
    public void Lone_surrogates_are_decoded_leniently_by_every_parser()
    {
        Assert.Equal("a\ud83d", NexRelay.Edge.Translation.Lenient.DecodeLiteral("\"a\\ud83d\""));
        Assert.Equal("q\"\\/\n", NexRelay.Edge.Translation.Lenient.DecodeLiteral("\"q\\\"\\\\\\/\\n\""));
        var events = TranslationHarness.ParseUpstream(UpstreamKind.Anthropic,
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\\udc00\"}}\n\n", 1);
        Assert.Equal("x\udc00", Assert.IsType<TextDelta>(Assert.Single(events)).Text);
    }

    [Fact]
    public void Gemini_dynamic_thinking_budget_is_kept_for_Gemini_and_made_concrete_for_Anthropic()
    {
        var request = FormatRegistry.Client(ClientFormat.Gemini).ParseRequest(TranslationHarness.Json("""
            {"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":-1}}}
            """), "g", false);
        Assert.Equal(-1, (int)FormatRegistry.Upstream(UpstreamKind.Gemini).BuildRequest(request, "g", 100, false).Body["generationConfig"]!["thinkingConfig"]!["thinkingBudget"]!);
        Assert.Equal(8192, (int)FormatRegistry.Upstream(UpstreamKind.Anthropic).BuildRequest(request, "c", 20000, false).Body["thinking"]!["budget_tokens"]!);
        Assert.Equal("medium", (string)FormatRegistry.Upstream(UpstreamKind.OpenAI).BuildRequest(request, "o", 100, false).Body["reasoning_effort"]!);
    }
}
