using System.Text.Json.Nodes;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Translation;
using NexRelay.Edge.Translation.OpenAI;
using static NexRelay.Edge.Tests.Translation.TranslationHarness;

namespace NexRelay.Edge.Tests.Translation;

/// <summary>
/// Issue 18: the Responses tools coding agents send (Codex CLI's freeform <c>apply_patch</c>, its namespace tools, hosted tools)
/// in the neutral model and back, and the native pass-through to an OpenAI upstream that serves the Responses API.
/// </summary>
public sealed class ResponsesToolTranslationTests
{
    private static readonly IClientFormat Format = FormatRegistry.Client(ClientFormat.OpenAIResponses);

    private const string AgentTools = """
        [
          {"type": "function", "name": "shell", "description": "Run a command", "parameters": {"type": "object", "properties": {"command": {"type": "array"}}}},
          {"type": "custom", "name": "apply_patch", "description": "Edit files", "format": {"type": "grammar", "syntax": "lark", "definition": "start: begin_patch"}},
          {"type": "namespace", "name": "multi_agent_v1", "description": "Agents", "tools": [
            {"type": "function", "name": "spawn_agent", "parameters": {"type": "object"}},
            {"type": "custom", "name": "note", "description": "Free text"}
          ]},
          {"type": "web_search", "external_web_access": false},
          {"type": "tool_search"}
        ]
        """;

    private static ChatRequest Parse(string input, string extra = "") =>
        Format.ParseRequest(Json($$"""{"model":"gpt-5.5","input":{{input}},"tools":{{AgentTools}}{{extra}}}"""), null, null);

    [Fact]
    public void Custom_namespace_and_hosted_tools_parse_into_neutral_tools_and_untranslated_ones()
    {
        var r = Parse("\"hi\"");

        Assert.Equal(["shell", "apply_patch", "multi_agent_v1__spawn_agent", "multi_agent_v1__note"], r.Tools.Select(t => t.Name));
        Assert.Null(r.Tools[0].Client); // a plain function keeps its own name
        Assert.Equal(new ClientToolName(null, "apply_patch", Freeform: true), r.Tools[1].Client);
        Assert.Equal(new ClientToolName("multi_agent_v1", "spawn_agent", Freeform: false), r.Tools[2].Client);
        Assert.Equal(new ClientToolName("multi_agent_v1", "note", Freeform: true), r.Tools[3].Client);

        // A freeform tool is a function of one string, its grammar in the description.
        var schema = r.Tools[1].ParametersSchema!;
        Assert.Equal("string", (string)schema["properties"]!["input"]!["type"]!);
        Assert.Equal(["input"], ((JsonArray)schema["required"]!).Select(n => (string)n!));
        Assert.Contains("Edit files", r.Tools[1].Description);
        Assert.Contains("lark grammar:\nstart: begin_patch", r.Tools[1].Description);

        Assert.Equal([new UntranslatedTool("web_search", true), new UntranslatedTool("tool_search", false)], r.UntranslatedTools);
        Assert.Equal(["web_search", "tool_search"], r.DroppedTools(passthrough: false));
        Assert.Equal(["web_search"], r.DroppedTools(passthrough: true));
    }

    [Theory]
    [InlineData(null, "lookup", "lookup")]
    [InlineData("crm", "find", "crm__find")]
    [InlineData(null, "files.read", "files_read")]
    [InlineData(null, "9lives", "_9lives")]
    [InlineData("mcp server", "tool/x", "mcp_server__tool_x")]
    [InlineData(null, "", "_")]
    public void Neutral_names_are_what_every_upstream_accepts(string? ns, string name, string expected)
    {
        Assert.Equal(expected, ResponsesTools.NeutralName(ns, name));
    }

    [Fact]
    public void Long_and_clashing_names_stay_distinct_and_within_64_characters()
    {
        var a = ResponsesTools.NeutralName("namespace_" + new string('a', 40), "tool_" + new string('b', 30) + "_one");
        var b = ResponsesTools.NeutralName("namespace_" + new string('a', 40), "tool_" + new string('b', 30) + "_two");
        Assert.Equal(64, a.Length);
        Assert.NotEqual(a, b);

        var r = Format.ParseRequest(Json("""
            {"model":"m","input":"hi","tools":[
              {"type":"function","name":"a.b"},
              {"type":"function","name":"a_b"}
            ]}
            """), null, null);
        Assert.Equal(["a_b", "a_b_2"], r.Tools.Select(t => t.Name));
        Assert.Equal(new ClientToolName(null, "a_b", false), r.Tools[1].Client);
    }

    [Fact]
    public void An_agents_history_of_freeform_namespaced_and_hosted_calls_parses()
    {
        var r = Parse("""
            [
              {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Fix it"}]},
              {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAA..."},
              {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"type": "search", "query": "x"}},
              {"type": "custom_tool_call", "id": "ctc_1", "call_id": "call_p", "name": "apply_patch", "input": "*** Begin Patch\n*** End Patch"},
              {"type": "custom_tool_call_output", "call_id": "call_p", "output": "Done!"},
              {"type": "function_call", "call_id": "call_s", "namespace": "multi_agent_v1", "name": "spawn_agent", "arguments": "{}"},
              {"type": "function_call_output", "call_id": "call_s", "output": [{"type": "input_text", "text": "spawned"}]}
            ]
            """);

        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant, ChatRole.Tool], r.Messages.Select(m => m.Role));
        var patch = Assert.IsType<ToolCallPart>(Assert.Single(r.Messages[1].Parts));
        Assert.Equal(("call_p", "apply_patch"), (patch.Id, patch.Name));
        Assert.Equal("*** Begin Patch\n*** End Patch", (string)JsonNode.Parse(patch.ArgumentsJson)!["input"]!);
        Assert.Equal(new ToolResultPart("call_p", "apply_patch", "Done!"), Assert.Single(r.Messages[2].Parts));
        Assert.Equal(new ToolCallPart("call_s", "multi_agent_v1__spawn_agent", "{}"), Assert.Single(r.Messages[3].Parts));
        Assert.Equal(new ToolResultPart("call_s", "multi_agent_v1__spawn_agent", "spawned"), Assert.Single(r.Messages[4].Parts));
    }

    [Theory]
    [InlineData("""{"type":"custom","name":"apply_patch"}""", ToolChoiceKind.Tool, "apply_patch")]
    [InlineData("""{"type":"function","namespace":"multi_agent_v1","name":"spawn_agent"}""", ToolChoiceKind.Tool, "multi_agent_v1__spawn_agent")]
    [InlineData("""{"type":"web_search"}""", ToolChoiceKind.Auto, null)]
    [InlineData("""{"type":"allowed_tools","mode":"required","tools":[]}""", ToolChoiceKind.Required, null)]
    public void Tool_choices_of_every_kind_are_accepted(string choice, ToolChoiceKind kind, string? name)
    {
        Assert.Equal(new ToolChoice(kind, name), Parse("\"hi\"", $",\"tool_choice\":{choice}").ToolChoice);
    }

    [Fact]
    public void Fields_the_agents_send_are_accepted_and_echoed()
    {
        var r = Parse("\"hi\"", """
            ,"max_output_tokens": 321, "reasoning": {"effort": "high", "summary": "auto"}, "include": ["reasoning.encrypted_content"],
            "store": false, "prompt_cache_key": "conv-1", "text": {"verbosity": "low"}, "client_metadata": {"a": "b"},
            "parallel_tool_calls": false, "truncation": "auto", "metadata": {"k": "v"}, "safety_identifier": "user-1", "service_tier": "auto"
            """);
        var json = Wire(Format.WriteResponse(new ChatResponse { Id = "x", Model = "m", Output = [new TextPart("ok")] }, r));

        Assert.Equal(321, (int)json["max_output_tokens"]!);
        Assert.Equal("high", (string)json["reasoning"]!["effort"]!);
        Assert.Equal("conv-1", (string)json["prompt_cache_key"]!);
        Assert.Equal("low", (string)json["text"]!["verbosity"]!);
        Assert.False((bool)json["parallel_tool_calls"]!);
        Assert.Equal("auto", (string)json["truncation"]!);
        Assert.Equal("v", (string)json["metadata"]!["k"]!);
        Assert.False((bool)json["store"]!); // not stored: said so
        Assert.Equal(5, ((JsonArray)json["tools"]!).Count);
    }

    [Fact]
    public void Calls_are_written_back_under_the_clients_names_freeform_ones_as_raw_text()
    {
        var r = Parse("\"use_tool\"");
        var json = Wire(Format.WriteResponse(new ChatResponse
        {
            Id = "x",
            Model = "m",
            Output =
            [
                new ToolCallPart("call_1", "apply_patch", """{"input":"*** Begin Patch\n*** End Patch"}"""),
                new ToolCallPart("call_2", "multi_agent_v1__spawn_agent", """{"task":"t"}"""),
                new ToolCallPart("call_3", "shell", """{"command":["ls"]}"""),
            ],
            FinishReason = FinishReason.ToolCalls,
        }, r));

        var output = (JsonArray)json["output"]!;
        Assert.Equal(["custom_tool_call", "function_call", "function_call"], output.Select(o => (string)o!["type"]!));
        Assert.Equal(("call_1", "apply_patch", "*** Begin Patch\n*** End Patch"),
            ((string)output[0]!["call_id"]!, (string)output[0]!["name"]!, (string)output[0]!["input"]!));
        Assert.StartsWith("ctc_", (string)output[0]!["id"]!);
        Assert.Equal(("multi_agent_v1", "spawn_agent", """{"task":"t"}"""),
            ((string)output[1]!["namespace"]!, (string)output[1]!["name"]!, (string)output[1]!["arguments"]!));
        Assert.Null(output[2]!["namespace"]);
        Assert.Equal("shell", (string)output[2]!["name"]!);
    }

    [Fact]
    public void A_freeform_call_streams_as_custom_tool_call_input_events_with_the_raw_text()
    {
        var r = Parse("\"use_tool\"");
        var anthropic = NamedSse(
            ("message_start", """{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"c","content":[],"usage":{"input_tokens":5,"output_tokens":1}}}"""),
            ("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"apply_patch","input":{}}}"""),
            ("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"input\": \"*** Begin"}}"""),
            ("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":" Patch\\n\\\"quoted\\\"\"}"}}"""),
            ("content_block_stop", """{"type":"content_block_stop","index":0}"""),
            ("content_block_start", """{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_2","name":"multi_agent_v1__spawn_agent","input":{}}}"""),
            ("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{}"}}"""),
            ("content_block_stop", """{"type":"content_block_stop","index":1}"""),
            ("message_delta", """{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}"""),
            ("message_stop", """{"type":"message_stop"}"""));

        var events = ParseSse(Translate(UpstreamKind.Anthropic, ClientFormat.OpenAIResponses, anthropic, 0, r))
            .Select(e => Json(System.Text.Encoding.UTF8.GetString(e.Data))).ToList();
        var types = events.Select(e => (string)e["type"]!).ToList();

        Assert.DoesNotContain("response.function_call_arguments.delta", types.Take(types.IndexOf("response.custom_tool_call_input.done")));
        var added = events.First(e => (string)e["type"]! == "response.output_item.added");
        Assert.Equal(("custom_tool_call", "apply_patch", ""), ((string)added["item"]!["type"]!, (string)added["item"]!["name"]!, (string)added["item"]!["input"]!));
        var delta = events.Single(e => (string)e["type"]! == "response.custom_tool_call_input.delta");
        var done = events.Single(e => (string)e["type"]! == "response.custom_tool_call_input.done");
        Assert.Equal("*** Begin Patch\n\"quoted\"", (string)delta["delta"]!);
        Assert.Equal("*** Begin Patch\n\"quoted\"", (string)done["input"]!);
        Assert.Equal((string)added["item"]!["id"]!, (string)done["item_id"]!);

        var completed = events[^1];
        Assert.Equal("response.completed", (string)completed["type"]!);
        var output = (JsonArray)completed["response"]!["output"]!;
        Assert.Equal(("custom_tool_call", "*** Begin Patch\n\"quoted\""), ((string)output[0]!["type"]!, (string)output[0]!["input"]!));
        Assert.Equal(("function_call", "multi_agent_v1", "spawn_agent"),
            ((string)output[1]!["type"]!, (string)output[1]!["namespace"]!, (string)output[1]!["name"]!));
        var argumentsDone = events.Single(e => (string)e["type"]! == "response.function_call_arguments.done");
        Assert.Equal("spawn_agent", (string)argumentsDone["name"]!);
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => (int)e["sequence_number"]!));
    }

    [Fact]
    public void Passes_through_only_to_an_OpenAI_upstream_that_serves_Responses()
    {
        var url = new Uri("http://upstream/v1/");
        Assert.Same(OpenAIResponsesUpstream.Instance, Format.PassthroughTo(new Provider("o", UpstreamKind.OpenAI, url, null, "", ServesResponses: true)));
        Assert.Null(Format.PassthroughTo(new Provider("compat", UpstreamKind.OpenAI, url, null, "", ServesResponses: false)));
        Assert.Null(Format.PassthroughTo(new Provider("a", UpstreamKind.Anthropic, url, null, "", ServesResponses: true)));
        Assert.Equal("responses", OpenAIResponsesUpstream.Instance.PassthroughPath("gpt-5.5", stream: true));
        // Chat clients still pass through to Chat Completions on the same provider.
        var chat = FormatRegistry.Client(ClientFormat.OpenAIChat).PassthroughTo(new Provider("o", UpstreamKind.OpenAI, url, null, "", ServesResponses: true));
        Assert.Equal("chat/completions", chat!.PassthroughPath("gpt-5.5", stream: false));
    }

    [Fact]
    public void Pass_through_edits_only_the_model_the_limit_and_the_tools_billed_per_call()
    {
        var body = Json($$"""{"model":"public","input":"hi","max_output_tokens":99999,"tools":{{AgentTools}},"tool_choice":{"type":"web_search"},"store":false,"prompt_cache_key":"k"}""");
        Format.ApplyPassthroughEdits(body, "gpt-5.5-upstream", 4096, stream: true);

        Assert.Equal(("gpt-5.5-upstream", 4096), ((string)body["model"]!, (int)body["max_output_tokens"]!));
        Assert.Equal(["function", "custom", "namespace", "tool_search"], ((JsonArray)body["tools"]!).Select(t => (string)t!["type"]!));
        Assert.Equal("auto", (string)body["tool_choice"]!);
        Assert.Equal(("k", false), ((string)body["prompt_cache_key"]!, (bool)body["store"]!));
    }

    [Fact]
    public void A_native_Responses_answer_is_read_for_its_output_finish_and_usage()
    {
        var parsed = OpenAIResponsesUpstream.Instance.ParseResponse(Json("""
            {"id":"resp_1","object":"response","status":"completed","model":"gpt-5.5","output":[
              {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"plan"}],"encrypted_content":"gAAA"},
              {"type":"message","id":"msg_1","role":"assistant","content":[{"type":"output_text","text":"Hi","annotations":[]}]},
              {"type":"custom_tool_call","id":"ctc_1","call_id":"call_1","name":"apply_patch","input":"*** Begin Patch"}
            ],"usage":{"input_tokens":40,"input_tokens_details":{"cached_tokens":30},"output_tokens":12,"output_tokens_details":{"reasoning_tokens":7},"total_tokens":52}}
            """));

        Assert.Equal([new ReasoningPart("plan"), new TextPart("Hi"), new ToolCallPart("call_1", "apply_patch", "*** Begin Patch")], parsed.Output);
        Assert.Equal(FinishReason.ToolCalls, parsed.FinishReason);
        Assert.Equal(new Usage { InputTokens = 40, CachedInputTokens = 30, OutputTokens = 12, ReasoningTokens = 7 }, parsed.Usage);

        var cut = OpenAIResponsesUpstream.Instance.ParseResponse(Json("""{"id":"r","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[]}"""));
        Assert.Equal(FinishReason.Length, cut.FinishReason);
        Assert.Null(cut.Usage);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void A_native_Responses_stream_is_metered_from_its_events(int chunkSize)
    {
        var sse = NamedSse(
            ("response.created", """{"type":"response.created","sequence_number":0,"response":{"id":"resp_9","model":"gpt-5.5","status":"in_progress","output":[]}}"""),
            ("response.output_item.added", """{"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"id":"msg_1","type":"message","role":"assistant","content":[]}}"""),
            ("response.output_text.delta", """{"type":"response.output_text.delta","sequence_number":2,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Héllo"}"""),
            ("response.output_item.added", """{"type":"response.output_item.added","sequence_number":3,"output_index":1,"item":{"id":"ctc_1","type":"custom_tool_call","call_id":"call_1","name":"apply_patch","input":""}}"""),
            ("response.custom_tool_call_input.delta", """{"type":"response.custom_tool_call_input.delta","sequence_number":4,"item_id":"ctc_1","output_index":1,"delta":"*** Begin"}"""),
            ("response.completed", """{"type":"response.completed","sequence_number":5,"response":{"id":"resp_9","status":"completed","usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":0},"output_tokens":4,"output_tokens_details":{"reasoning_tokens":1}}}}"""));
        var parser = OpenAIResponsesUpstream.Instance.CreateStreamParser();
        var events = new List<StreamEvent>();
        foreach (var e in ParseSse(sse, chunkSize)) parser.Parse(e.EventName, e.Data, events);

        Assert.Equal(
        [
            new StreamStart("resp_9", "gpt-5.5"), new TextDelta("Héllo"), new ToolCallStart(0, "call_1", "apply_patch"), new ToolCallDelta(0, "*** Begin"),
            new UsageUpdate(new Usage { InputTokens = 10, OutputTokens = 4, ReasoningTokens = 1 }), new StreamFinish(FinishReason.ToolCalls),
        ], events);

        var failed = new List<StreamEvent>();
        OpenAIResponsesUpstream.Instance.CreateStreamParser().Parse(null,
            """{"type":"response.failed","response":{"status":"failed","error":{"code":"server_error","message":"boom"}}}"""u8, failed);
        Assert.Equal(new StreamFailure("boom"), Assert.Single(failed));
    }
}
