using System.Text.Json.Nodes;
using NexRelay.Edge.Translation;
using static NexRelay.Edge.Tests.Translation.TranslationHarness;

namespace NexRelay.Edge.Tests.Translation;

/// <summary>Client body → neutral → upstream request body, for each upstream.</summary>
public sealed class UpstreamRequestTests
{
    private const string OpenAIClientBody = """
        {
          "model": "public",
          "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [
              {"type": "text", "text": "Look"},
              {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
              {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}
            ]},
            {"role": "assistant", "content": "", "tool_calls": [
              {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\":\"cat\"}"}},
              {"id": "call_2", "type": "function", "function": {"name": "count", "arguments": "{}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "{\"found\":true}"},
            {"role": "tool", "tool_call_id": "call_2", "content": "3"},
            {"role": "user", "content": "Summarise"}
          ],
          "tools": [
            {"type": "function", "function": {"name": "lookup", "description": "Find", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "additionalProperties": false}}},
            {"type": "function", "function": {"name": "count", "parameters": {"type": "object", "properties": {}}}}
          ],
          "tool_choice": "auto",
          "parallel_tool_calls": false,
          "temperature": 1.4,
          "top_p": 0.9,
          "stop": ["END"],
          "response_format": {"type": "json_schema", "json_schema": {"name": "summary", "schema": {"type": "object", "properties": {"s": {"type": "string"}}}, "strict": true}},
          "reasoning_effort": "low",
          "user": "u-1"
        }
        """;

    private static ChatRequest FromOpenAI(string body = OpenAIClientBody) =>
        FormatRegistry.Client(ClientFormat.OpenAIChat).ParseRequest(Json(body), null, null);

    private static JsonObject Build(UpstreamKind kind, ChatRequest request, string model, int max, bool stream, out string path)
    {
        var built = FormatRegistry.Upstream(kind).BuildRequest(request, model, max, stream);
        path = built.PathAndQuery;
        return Wire(built.Body);
    }

    [Fact]
    public void Anthropic_request_has_top_level_system_tool_results_in_user_turns_and_an_explicit_limit()
    {
        var body = Build(UpstreamKind.Anthropic, FromOpenAI(), "claude-up", 8000, stream: true, out var path);

        Assert.Equal("messages", path);
        Assert.Equal("claude-up", (string)body["model"]!);
        Assert.Equal(8000, (int)body["max_tokens"]!);
        Assert.True((bool)body["stream"]!);
        var system = (JsonArray)body["system"]!;
        Assert.Equal("Be brief.", (string)system[0]!["text"]!);
        Assert.Contains("JSON Schema", (string)system[1]!["text"]!); // best-effort JSON mode
        Assert.Contains("\"s\"", (string)system[1]!["text"]!);

        var messages = (JsonArray)body["messages"]!;
        Assert.Equal(["user", "assistant", "user"], messages.Select(m => (string)m!["role"]!));
        var first = (JsonArray)messages[0]!["content"]!;
        Assert.Equal("base64", (string)first[1]!["source"]!["type"]!);
        Assert.Equal(("image/png", "iVBO"), ((string)first[1]!["source"]!["media_type"]!, (string)first[1]!["source"]!["data"]!));
        Assert.Equal(("url", "https://example.com/cat.jpg"), ((string)first[2]!["source"]!["type"]!, (string)first[2]!["source"]!["url"]!));
        var assistant = (JsonArray)messages[1]!["content"]!;
        Assert.Equal(["tool_use", "tool_use"], assistant.Select(b => (string)b!["type"]!)); // empty text dropped
        Assert.Equal("cat", (string)assistant[0]!["input"]!["q"]!);
        var last = (JsonArray)messages[2]!["content"]!;
        Assert.Equal(["tool_result", "tool_result", "text"], last.Select(b => (string)b!["type"]!)); // merged, results first
        Assert.Equal(("call_1", """{"found":true}"""), ((string)last[0]!["tool_use_id"]!, (string)last[0]!["content"]!));

        Assert.Equal(["lookup", "count"], ((JsonArray)body["tools"]!).Select(t => (string)t!["name"]!));
        Assert.NotNull(body["tools"]![0]!["input_schema"]);
        Assert.Equal("auto", (string)body["tool_choice"]!["type"]!);
        Assert.True((bool)body["tool_choice"]!["disable_parallel_tool_use"]!);
        Assert.Equal(2048, (int)body["thinking"]!["budget_tokens"]!); // low effort
        Assert.Null(body["temperature"]); // thinking forbids sampling changes
        Assert.Equal(["END"], ((JsonArray)body["stop_sequences"]!).Select(s => (string)s!));
        Assert.Equal("u-1", (string)body["metadata"]!["user_id"]!);
    }

    [Fact]
    public void Anthropic_request_without_reasoning_clamps_temperature_and_maps_forced_tool()
    {
        var request = FromOpenAI("""
            {"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":1.8,"response_format":{"type":"json_object"},
             "tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"f"}}}
            """);
        var body = Build(UpstreamKind.Anthropic, request, "c", 100, stream: false, out _);

        Assert.Equal(1.0, (double)body["temperature"]!);
        Assert.Equal(("tool", "f"), ((string)body["tool_choice"]!["type"]!, (string)body["tool_choice"]!["name"]!));
        Assert.Equal("object", (string)body["tools"]![0]!["input_schema"]!["type"]!);
        Assert.Contains("JSON object", (string)body["system"]![0]!["text"]!);
        Assert.False(body.ContainsKey("stream"));
        Assert.False(body.ContainsKey("thinking"));
    }

    [Theory]
    [InlineData("high", 30000, 24576)]
    [InlineData("high", 4000, 3999)]
    [InlineData("high", 1000, null)] // no room for the 1024 minimum
    [InlineData("none", 30000, null)]
    public void Anthropic_thinking_budget_fits_under_the_output_limit(string effort, int max, int? expected)
    {
        var request = FromOpenAI($$"""{"model":"m","messages":[{"role":"user","content":"hi"}],"reasoning_effort":"{{effort}}"}""");
        var body = Build(UpstreamKind.Anthropic, request, "c", max, false, out _);
        Assert.Equal(expected, (int?)body["thinking"]?["budget_tokens"]);
    }

    [Fact]
    public void Anthropic_replays_only_signed_thinking()
    {
        var request = new ChatRequest { Model = "m" };
        request.Messages.Add(new ChatMessage { Role = ChatRole.User, Parts = [new TextPart("q")] });
        request.Messages.Add(new ChatMessage { Role = ChatRole.Assistant, Parts = [new ReasoningPart("unsigned"), new ReasoningPart("signed", "sig"), new TextPart("a")] });
        var body = Build(UpstreamKind.Anthropic, request, "c", 100, false, out _);
        var blocks = (JsonArray)body["messages"]![1]!["content"]!;
        Assert.Equal(["thinking", "text"], blocks.Select(b => (string)b!["type"]!));
        Assert.Equal("sig", (string)blocks[0]!["signature"]!);
    }

    [Fact]
    public void Gemini_client_thinking_split_from_its_signature_is_replayed_to_Anthropic_as_one_block()
    {
        var request = FormatRegistry.Client(ClientFormat.Gemini).ParseRequest(Json("""
            {"contents":[{"role":"user","parts":[{"text":"q"}]},
                         {"role":"model","parts":[{"text":"Let me ","thought":true},{"text":"think.","thought":true},{"text":"","thought":true,"thoughtSignature":"sig"},{"text":"A"}]},
                         {"role":"user","parts":[{"text":"more"}]}]}
            """), "g", false);
        var blocks = (JsonArray)Build(UpstreamKind.Anthropic, request, "c", 100, false, out _)["messages"]![1]!["content"]!;
        Assert.Equal(["thinking", "text"], blocks.Select(b => (string)b!["type"]!));
        Assert.Equal(("Let me think.", "sig"), ((string)blocks[0]!["thinking"]!, (string)blocks[0]!["signature"]!));
    }

    [Fact]
    public void OpenAI_request_from_an_Anthropic_client()
    {
        var request = FormatRegistry.Client(ClientFormat.Anthropic).ParseRequest(Json("""
            {
              "model": "public", "max_tokens": 100, "system": "Sys",
              "messages": [
                {"role": "user", "content": [{"type": "text", "text": "Look"}, {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/"}}]},
                {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": "s"}, {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "done"}]}
              ],
              "tools": [{"name": "f", "input_schema": {"type": "object"}}],
              "tool_choice": {"type": "any"},
              "thinking": {"type": "enabled", "budget_tokens": 4096},
              "top_k": 5, "stop_sequences": ["x"], "stream": true
            }
            """), null, null);
        var body = Build(UpstreamKind.OpenAI, request, "gpt-up", 777, stream: true, out var path);

        Assert.Equal("chat/completions", path);
        Assert.Equal(("gpt-up", 777), ((string)body["model"]!, (int)body["max_completion_tokens"]!));
        Assert.True((bool)body["stream"]!);
        Assert.True((bool)body["stream_options"]!["include_usage"]!);
        var messages = (JsonArray)body["messages"]!;
        Assert.Equal(["system", "user", "assistant", "tool"], messages.Select(m => (string)m!["role"]!));
        Assert.Equal("data:image/jpeg;base64,/9j/", (string)messages[1]!["content"]![1]!["image_url"]!["url"]!);
        Assert.Null(messages[2]!["content"]);
        Assert.Equal(("toolu_1", "f", """{"a":1}"""), ((string)messages[2]!["tool_calls"]![0]!["id"]!,
            (string)messages[2]!["tool_calls"]![0]!["function"]!["name"]!, (string)messages[2]!["tool_calls"]![0]!["function"]!["arguments"]!));
        Assert.Equal(("toolu_1", "done"), ((string)messages[3]!["tool_call_id"]!, (string)messages[3]!["content"]!));
        Assert.Equal("required", (string)body["tool_choice"]!);
        Assert.Equal("medium", (string)body["reasoning_effort"]!);
        Assert.False(body.ContainsKey("top_k"));
        Assert.Equal("x", (string)body["stop"]![0]!);
    }

    [Fact]
    public void OpenAI_request_keeps_json_schema_and_omits_stream_fields_when_not_streaming()
    {
        var body = Build(UpstreamKind.OpenAI, FromOpenAI(), "gpt", 10, stream: false, out _);
        Assert.Equal("json_schema", (string)body["response_format"]!["type"]!);
        Assert.Equal("summary", (string)body["response_format"]!["json_schema"]!["name"]!);
        Assert.True((bool)body["response_format"]!["json_schema"]!["strict"]!);
        Assert.False((bool)body["parallel_tool_calls"]!);
        Assert.Equal(1.4, (double)body["temperature"]!);
        Assert.False(body.ContainsKey("stream"));
        Assert.False(body.ContainsKey("stream_options"));
    }

    [Fact]
    public void Gemini_request_from_an_OpenAI_client()
    {
        var body = Build(UpstreamKind.Gemini, FromOpenAI(), "gemini-2.5-flash", 500, stream: true, out var path);

        Assert.Equal("models/gemini-2.5-flash:streamGenerateContent?alt=sse", path);
        Assert.Equal("Be brief.", (string)body["systemInstruction"]!["parts"]![0]!["text"]!);
        var contents = (JsonArray)body["contents"]!;
        Assert.Equal(["user", "model", "user"], contents.Select(c => (string)c!["role"]!));
        var first = (JsonArray)contents[0]!["parts"]!;
        Assert.Equal(("image/png", "iVBO"), ((string)first[1]!["inlineData"]!["mimeType"]!, (string)first[1]!["inlineData"]!["data"]!));
        Assert.Equal(("image/jpeg", "https://example.com/cat.jpg"), ((string)first[2]!["fileData"]!["mimeType"]!, (string)first[2]!["fileData"]!["fileUri"]!));
        var model = (JsonArray)contents[1]!["parts"]!;
        Assert.Equal("", (string)model[0]!["text"]!);
        Assert.Equal(("lookup", "cat"), ((string)model[1]!["functionCall"]!["name"]!, (string)model[1]!["functionCall"]!["args"]!["q"]!));
        Assert.Null(model[1]!["thoughtSignature"]); // Gemini 2.x does not need the sentinel
        var results = (JsonArray)contents[2]!["parts"]!;
        Assert.Equal(("lookup", true), ((string)results[0]!["functionResponse"]!["name"]!, (bool)results[0]!["functionResponse"]!["response"]!["found"]!));
        Assert.Equal(("count", "3"), ((string)results[1]!["functionResponse"]!["name"]!, (string)results[1]!["functionResponse"]!["response"]!["result"]!));
        Assert.Equal("Summarise", (string)results[2]!["text"]!);

        var declarations = (JsonArray)body["tools"]![0]!["functionDeclarations"]!;
        Assert.False((bool)declarations[0]!["parametersJsonSchema"]!["additionalProperties"]!);
        Assert.Equal("AUTO", (string)body["toolConfig"]!["functionCallingConfig"]!["mode"]!);
        var gc = body["generationConfig"]!;
        Assert.Equal(500, (int)gc["maxOutputTokens"]!);
        Assert.Equal(("application/json", "object"), ((string)gc["responseMimeType"]!, (string)gc["responseJsonSchema"]!["type"]!));
        Assert.Equal((1.4, 0.9), ((double)gc["temperature"]!, (double)gc["topP"]!));
        Assert.Equal("END", (string)gc["stopSequences"]![0]!);
        Assert.Equal(2048, (int)gc["thinkingConfig"]!["thinkingBudget"]!);
        Assert.True((bool)gc["thinkingConfig"]!["includeThoughts"]!);
    }

    [Fact]
    public void Gemini_3_replayed_calls_carry_the_signature_sentinel_on_the_first_call_only()
    {
        var body = Build(UpstreamKind.Gemini, FromOpenAI(), "gemini-3-pro-preview", 500, stream: false, out var path);
        Assert.Equal("models/gemini-3-pro-preview:generateContent", path);
        var model = (JsonArray)body["contents"]![1]!["parts"]!;
        Assert.Equal("skip_thought_signature_validator", (string)model[1]!["thoughtSignature"]!);
        Assert.Null(model[2]!["thoughtSignature"]);
    }

    [Theory]
    [InlineData("required", "ANY", null)]
    [InlineData("none", "NONE", null)]
    public void Gemini_tool_choice_maps_to_function_calling_mode(string choice, string mode, string? allowed)
    {
        var request = FromOpenAI($$$"""{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"{{{choice}}}"}""");
        var config = Build(UpstreamKind.Gemini, request, "g", 5, false, out _)["toolConfig"]!["functionCallingConfig"]!;
        Assert.Equal(mode, (string)config["mode"]!);
        Assert.Equal(allowed, (string?)config["allowedFunctionNames"]?[0]);
    }

    [Fact]
    public void Gemini_forced_tool_names_the_allowed_function()
    {
        var request = FromOpenAI("""{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"f"}}}""");
        var config = Build(UpstreamKind.Gemini, request, "g", 5, false, out _)["toolConfig"]!["functionCallingConfig"]!;
        Assert.Equal(("ANY", "f"), ((string)config["mode"]!, (string)config["allowedFunctionNames"]![0]!));
    }

    [Theory]
    [InlineData("gemini-2.5-pro", false)]
    [InlineData("models/gemini-3-flash", true)]
    [InlineData("gemini-3.1-pro-preview", true)]
    [InlineData("gemini-10-ultra", true)]
    [InlineData("gemma-3", false)]
    public void Gemini_signature_requirement_is_read_from_the_model_version(string model, bool expected)
    {
        Assert.Equal(expected, NexRelay.Edge.Translation.Gemini.GeminiUpstream.RequiresThoughtSignatures(model));
    }

    [Theory]
    [InlineData(UpstreamKind.OpenAI, false, "chat/completions")]
    [InlineData(UpstreamKind.Anthropic, true, "messages")]
    [InlineData(UpstreamKind.Gemini, false, "models/gemini-2.5-pro:generateContent")]
    [InlineData(UpstreamKind.Gemini, true, "models/gemini-2.5-pro:streamGenerateContent?alt=sse")]
    public void Passthrough_paths_are_relative_to_the_versioned_base(UpstreamKind kind, bool stream, string expected)
    {
        Assert.Equal(expected, FormatRegistry.Upstream(kind).PassthroughPath("gemini-2.5-pro", stream));
    }

    [Fact]
    public void Every_request_has_an_explicit_output_limit()
    {
        var request = FromOpenAI("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(42, (int)Build(UpstreamKind.OpenAI, request, "x", 42, false, out _)["max_completion_tokens"]!);
        Assert.Equal(42, (int)Build(UpstreamKind.Anthropic, request, "x", 42, false, out _)["max_tokens"]!);
        Assert.Equal(42, (int)Build(UpstreamKind.Gemini, request, "x", 42, false, out _)["generationConfig"]!["maxOutputTokens"]!);
    }

    [Fact]
    public void Gemini_client_thinking_budget_reaches_each_upstream()
    {
        var request = FormatRegistry.Client(ClientFormat.Gemini).ParseRequest(Json("""
            {"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":10000}}}
            """), "g", false);
        Assert.Equal("high", (string)Build(UpstreamKind.OpenAI, request, "x", 20000, false, out _)["reasoning_effort"]!);
        Assert.Equal(10000, (int)Build(UpstreamKind.Anthropic, request, "x", 20000, false, out _)["thinking"]!["budget_tokens"]!);
        Assert.Equal(10000, (int)Build(UpstreamKind.Gemini, request, "x", 20000, false, out _)["generationConfig"]!["thinkingConfig"]!["thinkingBudget"]!);
    }

    [Fact]
    public void Gemini_client_thinking_off_sends_no_reasoning_to_OpenAI()
    {
        var request = FormatRegistry.Client(ClientFormat.Gemini).ParseRequest(Json("""
            {"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":0}}}
            """), "g", false);
        Assert.False(Build(UpstreamKind.OpenAI, request, "x", 100, false, out _).ContainsKey("reasoning_effort"));
        Assert.False(Build(UpstreamKind.Anthropic, request, "x", 5000, false, out _).ContainsKey("thinking"));
        var thinking = Build(UpstreamKind.Gemini, request, "x", 100, false, out _)["generationConfig"]!["thinkingConfig"]!;
        Assert.Equal(0, (int)thinking["thinkingBudget"]!);
        Assert.Null(thinking["includeThoughts"]);
    }
}

public sealed class UpstreamRequestEdgeCaseTests
{
    [Theory]
    [InlineData(UpstreamKind.OpenAI, "tool_choice")]
    [InlineData(UpstreamKind.Anthropic, "tool_choice")]
    [InlineData(UpstreamKind.Gemini, "toolConfig")]
    public void Tool_choice_without_tools_is_not_sent(UpstreamKind kind, string field)
    {
        var request = new ChatRequest { Model = "m", ToolChoice = new ToolChoice(ToolChoiceKind.None), ParallelToolCalls = false };
        request.Messages.Add(new ChatMessage { Role = ChatRole.User, Parts = [new TextPart("hi")] });
        var body = FormatRegistry.Upstream(kind).BuildRequest(request, "x", 10, false).Body;
        Assert.False(body.ContainsKey(field));
        Assert.False(body.ContainsKey("parallel_tool_calls"));
    }

    [Fact]
    public void Non_json_tool_results_are_wrapped_for_Gemini_and_errors_marked()
    {
        var request = new ChatRequest { Model = "m" };
        request.Messages.Add(new ChatMessage { Role = ChatRole.User, Parts = [new TextPart("hi")] });
        request.Messages.Add(new ChatMessage { Role = ChatRole.Assistant, Parts = [new ToolCallPart("c1", "f", "{}")] });
        request.Messages.Add(new ChatMessage { Role = ChatRole.Tool, Parts = [new ToolResultPart("c1", null, "boom", IsError: true)] });
        var gemini = FormatRegistry.Upstream(UpstreamKind.Gemini).BuildRequest(request, "gemini-2.5-flash", 10, false).Body;
        var response = gemini["contents"]![2]!["parts"]![0]!["functionResponse"]!;
        Assert.Equal("f", (string)response["name"]!); // resolved from the call
        Assert.Equal("boom", (string)response["response"]!["error"]!);

        var anthropic = FormatRegistry.Upstream(UpstreamKind.Anthropic).BuildRequest(request, "c", 10, false).Body;
        Assert.True((bool)anthropic["messages"]![2]!["content"]![0]!["is_error"]!);
    }

    [Fact]
    public void Malformed_stream_data_is_ignored_not_thrown()
    {
        foreach (var kind in new[] { UpstreamKind.OpenAI, UpstreamKind.Anthropic, UpstreamKind.Gemini })
        {
            var events = new List<StreamEvent>();
            var parser = FormatRegistry.Upstream(kind).CreateStreamParser();
            parser.Parse(null, "{not json"u8, events);
            parser.Parse(null, "[1,2]"u8, events);
            parser.Parse(null, "\"text\""u8, events);
            parser.Parse("message_delta", "{}"u8, events);
            Assert.DoesNotContain(events, e => e is TextDelta or ToolCallDelta or StreamFailure);
        }
    }
}
