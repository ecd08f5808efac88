using System.Net;
using System.Text.Json;
using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Tests.Apis;

public sealed class OpenAIResponsesApiTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    private const string Path = "/v1/responses";
    private const string Tools = """[{"type":"function","name":"get_weather","parameters":{"type":"object"}},{"type":"function","name":"other"}]""";

    [Fact]
    public async Task Non_stream_response_has_a_message_with_output_text_and_usage()
    {
        var (response, body) = await sim.PostJsonAsync(Path, """{"model":"gpt-4.1","input":"tell me a story"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("resp_", body.GetProperty("id").GetString());
        Assert.Equal("response", body.GetProperty("object").GetString());
        Assert.Equal("completed", body.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("incomplete_details").ValueKind);
        Assert.Equal("gpt-4.1", body.GetProperty("model").GetString());
        var item = Assert.Single(body.GetProperty("output").EnumerateArray());
        Assert.Equal("message", item.GetProperty("type").GetString());
        Assert.Equal("assistant", item.GetProperty("role").GetString());
        Assert.Equal("completed", item.GetProperty("status").GetString());
        var part = Assert.Single(item.GetProperty("content").EnumerateArray());
        Assert.Equal("output_text", part.GetProperty("type").GetString());
        Assert.Equal(Vocabulary.TextString(64), part.GetProperty("text").GetString());
        var usage = body.GetProperty("usage");
        Assert.Equal(4, usage.GetProperty("input_tokens").GetInt32());
        Assert.Equal(64, usage.GetProperty("output_tokens").GetInt32());
        Assert.Equal(68, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("input_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("output_tokens_details").GetProperty("reasoning_tokens").GetInt32());
        Assert.Equal("none", response.Headers.GetValues("x-sim-received-max-tokens").Single());
    }

    [Fact]
    public async Task Output_limit_below_64_gives_an_incomplete_response()
    {
        var (response, body) = await sim.PostJsonAsync(Path, """{"model":"m","input":"hi","max_output_tokens":5}""");

        Assert.Equal("incomplete", body.GetProperty("status").GetString());
        Assert.Equal("max_output_tokens", body.GetProperty("incomplete_details").GetProperty("reason").GetString());
        Assert.Equal(5, body.GetProperty("max_output_tokens").GetInt32());
        Assert.Equal(Vocabulary.TextString(5), body.GetProperty("output")[0].GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(5, body.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal("5", response.Headers.GetValues("x-sim-received-max-tokens").Single());
    }

    [Fact]
    public async Task Input_tokens_count_instructions_messages_and_tool_outputs()
    {
        var json = """
            {"model":"m","instructions":"you are terse","input":[
              {"role":"user","content":[{"type":"input_text","text":"what is this"},{"type":"input_image","image_url":"data:x y z"}]},
              {"type":"message","role":"assistant","content":[{"type":"output_text","text":"an image"}]},
              {"type":"function_call","call_id":"c","name":"f","arguments":"{\"a\": \"b c\"}"},
              {"type":"function_call_output","call_id":"c","output":"two words"},
              {"role":"user","content":"ok"}]}
            """;
        var (_, body) = await sim.PostJsonAsync(Path, json);
        Assert.Equal(3 + 3 + 2 + 2 + 1, body.GetProperty("usage").GetProperty("input_tokens").GetInt32());
    }

    [Fact]
    public async Task Stream_sends_the_documented_events_in_order_with_sequence_numbers()
    {
        var response = await sim.PostAsync(Path, """{"model":"m","input":"hi","stream":true,"max_output_tokens":64}""");
        var (events, completed) = await Sse.ReadAsync(response);

        Assert.True(completed);
        string[] expected =
        [
            "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
            .. Enumerable.Repeat("response.output_text.delta", 64),
            "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed",
        ];
        Assert.Equal(expected, events.Select(e => e.Name));
        Assert.Equal(expected, events.Select(e => e.Json.GetProperty("type").GetString()));
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => e.Json.GetProperty("sequence_number").GetInt32()));

        Assert.Equal("in_progress", events[0].Json.GetProperty("response").GetProperty("status").GetString());
        var itemId = events[2].Json.GetProperty("item").GetProperty("id").GetString();
        var deltas = events.Where(e => e.Name == "response.output_text.delta").Select(e => e.Json).ToList();
        Assert.All(deltas, d => Assert.Equal(itemId, d.GetProperty("item_id").GetString()));
        Assert.Equal(Vocabulary.TextString(64), string.Concat(deltas.Select(d => d.GetProperty("delta").GetString())));
        Assert.Equal(Vocabulary.TextString(64), events[^4].Json.GetProperty("text").GetString());

        var final = events[^1].Json.GetProperty("response");
        Assert.Equal("completed", final.GetProperty("status").GetString());
        Assert.Equal(events[0].Json.GetProperty("response").GetProperty("id").GetString(), final.GetProperty("id").GetString());
        Assert.Equal(64, final.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal(Vocabulary.TextString(64), final.GetProperty("output")[0].GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Stream_cut_short_by_the_limit_ends_with_response_incomplete()
    {
        var response = await sim.PostAsync(Path, """{"model":"m","input":"hi","stream":true,"max_output_tokens":3}""");
        var (events, _) = await Sse.ReadAsync(response);

        Assert.Equal(3, events.Count(e => e.Name == "response.output_text.delta"));
        Assert.Equal("response.incomplete", events[^1].Name);
        var final = events[^1].Json.GetProperty("response");
        Assert.Equal("incomplete", final.GetProperty("status").GetString());
        Assert.Equal("max_output_tokens", final.GetProperty("incomplete_details").GetProperty("reason").GetString());
        Assert.Equal(3, final.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Tool_call_is_a_function_call_item()
    {
        var (_, body) = await sim.PostJsonAsync(Path, $$"""{"model":"m","tools":{{Tools}},"input":"use_tool please"}""");

        Assert.Equal("completed", body.GetProperty("status").GetString());
        var item = Assert.Single(body.GetProperty("output").EnumerateArray());
        Assert.Equal("function_call", item.GetProperty("type").GetString());
        Assert.Equal("get_weather", item.GetProperty("name").GetString());
        Assert.StartsWith("call_", item.GetProperty("call_id").GetString());
        Assert.StartsWith("fc_", item.GetProperty("id").GetString());
        Assert.Equal("""{"city":"Paris","days":3}""", item.GetProperty("arguments").GetString());
        Assert.Equal(10, body.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Tool_call_stream_sends_argument_deltas_that_reassemble_exactly()
    {
        var response = await sim.PostAsync(Path, $$"""{"model":"m","tools":{{Tools}},"input":[{"role":"user","content":"use_tool"}],"stream":true}""");
        var (events, completed) = await Sse.ReadAsync(response);

        Assert.True(completed);
        var names = events.Select(e => e.Name).ToList();
        Assert.Equal(["response.created", "response.in_progress", "response.output_item.added"], names.Take(3));
        Assert.Equal(["response.function_call_arguments.done", "response.output_item.done", "response.completed"], names.TakeLast(3));
        var deltas = events.Where(e => e.Name == "response.function_call_arguments.delta").Select(e => e.Json.GetProperty("delta").GetString()).ToList();
        Assert.True(deltas.Count >= 3);
        Assert.Equal("""{"city":"Paris","days":3}""", string.Concat(deltas));
        Assert.Equal("""{"city":"Paris","days":3}""", events[^3].Json.GetProperty("arguments").GetString());
        var added = events[2].Json.GetProperty("item");
        Assert.Equal("function_call", added.GetProperty("type").GetString());
        Assert.Equal("get_weather", added.GetProperty("name").GetString());
        var done = events[^2].Json.GetProperty("item");
        Assert.Equal(added.GetProperty("call_id").GetString(), done.GetProperty("call_id").GetString());
        Assert.Equal(10, events[^1].Json.GetProperty("response").GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Function_call_output_as_the_last_item_gets_a_text_answer()
    {
        var json = $$"""
            {"model":"m","tools":{{Tools}},"input":[
              {"role":"user","content":"use_tool"},
              {"type":"function_call","call_id":"c","name":"get_weather","arguments":"{}"},
              {"type":"function_call_output","call_id":"c","output":"sunny"}]}
            """;
        var (_, body) = await sim.PostJsonAsync(Path, json);
        Assert.Equal("message", body.GetProperty("output")[0].GetProperty("type").GetString());
    }

    // Codex CLI's tool list, shortened: hosted tools without a name, a freeform custom tool, a namespace of functions.
    private const string CustomFirst = """
        [{"type":"web_search","external_web_access":false},{"type":"tool_search","execution":"client","parameters":{"type":"object"}},
         {"type":"custom","name":"apply_patch","description":"FREEFORM","format":{"type":"grammar","syntax":"lark","definition":"start: /.+/"}},
         {"type":"function","name":"exec_command","parameters":{"type":"object"}}]
        """;

    private const string NamespaceFirst = """
        [{"type":"web_search"},
         {"type":"namespace","name":"multi_agent_v1","description":"sub-agents","tools":[
           {"type":"function","name":"spawn_agent","parameters":{"type":"object"}},{"type":"function","name":"wait_agent"}]},
         {"type":"function","name":"exec_command"}]
        """;

    [Fact]
    public async Task A_custom_first_tool_is_called_with_raw_text_not_json()
    {
        var (_, body) = await sim.PostJsonAsync(Path, $$"""{"model":"m","tools":{{CustomFirst}},"input":"use_tool please"}""");

        Assert.Equal("completed", body.GetProperty("status").GetString());
        var item = Assert.Single(body.GetProperty("output").EnumerateArray());
        Assert.Equal("custom_tool_call", item.GetProperty("type").GetString());
        Assert.Equal("apply_patch", item.GetProperty("name").GetString());
        Assert.Equal("completed", item.GetProperty("status").GetString());
        Assert.StartsWith("ctc_", item.GetProperty("id").GetString());
        Assert.StartsWith("call_", item.GetProperty("call_id").GetString());
        Assert.Equal(ToolCall.Input, item.GetProperty("input").GetString());
        Assert.StartsWith("*** Begin Patch\n", item.GetProperty("input").GetString());
        Assert.False(item.TryGetProperty("arguments", out _));
        Assert.False(item.TryGetProperty("namespace", out _));
        Assert.Equal(10, body.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task A_custom_tool_call_streams_input_deltas_and_a_done_event_as_openai_does()
    {
        var response = await sim.PostAsync(Path, $$"""{"model":"m","tools":{{CustomFirst}},"input":[{"role":"user","content":"use_tool"}],"stream":true}""");
        var (events, completed) = await Sse.ReadAsync(response);

        Assert.True(completed);
        string[] expected =
        [
            "response.created", "response.in_progress", "response.output_item.added",
            .. Enumerable.Repeat("response.custom_tool_call_input.delta", ToolCall.InputChunks.Length),
            "response.custom_tool_call_input.done", "response.output_item.done", "response.completed",
        ];
        Assert.Equal(expected, events.Select(e => e.Name));
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => e.Json.GetProperty("sequence_number").GetInt32()));

        var added = events[2].Json.GetProperty("item");
        Assert.Equal("custom_tool_call", added.GetProperty("type").GetString());
        Assert.Equal("in_progress", added.GetProperty("status").GetString());
        Assert.Equal("apply_patch", added.GetProperty("name").GetString());
        Assert.Equal("", added.GetProperty("input").GetString());
        var itemId = added.GetProperty("id").GetString();

        var deltas = events.Where(e => e.Name == "response.custom_tool_call_input.delta").Select(e => e.Json).ToList();
        Assert.All(deltas, d => Assert.Equal(itemId, d.GetProperty("item_id").GetString()));
        Assert.All(deltas, d => Assert.Equal(0, d.GetProperty("output_index").GetInt32()));
        Assert.Equal(ToolCall.Input, string.Concat(deltas.Select(d => d.GetProperty("delta").GetString())));

        var inputDone = events[^3].Json;
        Assert.Equal(itemId, inputDone.GetProperty("item_id").GetString());
        Assert.Equal(ToolCall.Input, inputDone.GetProperty("input").GetString());

        var done = events[^2].Json.GetProperty("item");
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(ToolCall.Input, done.GetProperty("input").GetString());
        Assert.Equal(added.GetProperty("call_id").GetString(), done.GetProperty("call_id").GetString());

        var final = events[^1].Json.GetProperty("response");
        Assert.Equal(ToolCall.Input, final.GetProperty("output")[0].GetProperty("input").GetString());
        Assert.Equal(10, final.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task A_namespace_first_calls_its_first_function_named_under_the_namespace()
    {
        var (_, body) = await sim.PostJsonAsync(Path, $$"""{"model":"m","tools":{{NamespaceFirst}},"input":"use_tool"}""");

        var item = Assert.Single(body.GetProperty("output").EnumerateArray());
        Assert.Equal("function_call", item.GetProperty("type").GetString());
        Assert.Equal("multi_agent_v1", item.GetProperty("namespace").GetString());
        Assert.Equal("spawn_agent", item.GetProperty("name").GetString());
        Assert.StartsWith("fc_", item.GetProperty("id").GetString());
        Assert.Equal(ToolCall.Arguments, item.GetProperty("arguments").GetString());

        var response = await sim.PostAsync(Path, $$"""{"model":"m","tools":{{NamespaceFirst}},"input":"use_tool","stream":true}""");
        var (events, _) = await Sse.ReadAsync(response);
        foreach (var streamed in new[] { events.First(e => e.Name == "response.output_item.added"), events.First(e => e.Name == "response.output_item.done") })
        {
            Assert.Equal("multi_agent_v1", streamed.Json.GetProperty("item").GetProperty("namespace").GetString());
            Assert.Equal("spawn_agent", streamed.Json.GetProperty("item").GetProperty("name").GetString());
        }
        Assert.Equal(ToolCall.Arguments, string.Concat(events.Where(e => e.Name == "response.function_call_arguments.delta").Select(e => e.Json.GetProperty("delta").GetString())));
    }

    [Theory]
    [InlineData("""[{"type":"web_search"},{"type":"file_search","vector_store_ids":["vs"]},{"type":"function","name":"get_weather"}]""", "function_call", "get_weather")]
    [InlineData("""[{"type":"tool_search","execution":"client"},{"type":"mcp","server_label":"s"},{"type":"custom","name":"raw"}]""", "custom_tool_call", "raw")]
    [InlineData("""[{"type":"local_shell"},{"type":"namespace","name":"empty","tools":[]},{"type":"function","name":"after"}]""", "function_call", "after")]
    public async Task Hosted_tools_and_empty_namespaces_are_skipped_when_choosing_the_tool_to_call(string tools, string type, string name)
    {
        var (_, body) = await sim.PostJsonAsync(Path, $$"""{"model":"m","tools":{{tools}},"input":"use_tool"}""");

        var item = Assert.Single(body.GetProperty("output").EnumerateArray());
        Assert.Equal(type, item.GetProperty("type").GetString());
        Assert.Equal(name, item.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Any_tool_type_is_accepted_and_only_hosted_tools_get_a_text_answer()
    {
        const string tools = """
            [{"type":"web_search_preview"},{"type":"code_interpreter","container":{"type":"auto"}},{"type":"image_generation"},
             {"type":"computer_use_preview","display_width":1,"display_height":1,"environment":"linux"},{"type":"something_new","x":1}]
            """;
        var (response, body) = await sim.PostJsonAsync(Path, $$"""{"model":"m","tools":{{tools}},"input":"use_tool"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("message", body.GetProperty("output")[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Custom_tool_calls_and_their_outputs_count_as_input_and_end_with_a_text_answer()
    {
        var json = $$"""
            {"model":"m","tools":{{CustomFirst}},"input":[
              {"type":"message","role":"user","content":[{"type":"input_text","text":"use_tool"}]},
              {"type":"custom_tool_call","id":"ctc_1","call_id":"c","name":"apply_patch","input":"*** Begin Patch\n*** End Patch"},
              {"type":"custom_tool_call_output","call_id":"c","output":"patch applied cleanly"}]}
            """;
        var (response, body) = await sim.PostJsonAsync(Path, json);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("message", body.GetProperty("output")[0].GetProperty("type").GetString());
        Assert.Equal(1 + 6 + 3, body.GetProperty("usage").GetProperty("input_tokens").GetInt32());
    }

    [Theory]
    [InlineData("""{"input":"hi"}""", "model")]
    [InlineData("""{"model":"m"}""", "input")]
    [InlineData("""{"model":"m","input":5}""", "input")]
    [InlineData("""{"model":"m","input":"hi","max_output_tokens":-1}""", "max_output_tokens")]
    public async Task Missing_or_invalid_fields_are_a_400_naming_the_param(string json, string param)
    {
        var (response, body) = await sim.PostJsonAsync(Path, json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(param, body.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task Missing_key_is_a_401_in_openai_shape()
    {
        var response = await sim.PostAsync(Path, """{"model":"m","input":"hi"}""", bearerKey: null);
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_api_key", body.GetProperty("error").GetProperty("code").GetString());
    }
}
