using System.Net;
using System.Text.Json;
using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Tests.Apis;

public sealed class AnthropicApiTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    private const string Path = "/v1/messages";
    private const string Tools = """[{"name":"get_weather","input_schema":{"type":"object"}},{"name":"other","input_schema":{"type":"object"}}]""";

    private static string Body(string extra = "", string user = "hello there", int maxTokens = 1024) =>
        $$"""{"model":"claude-sonnet-4-5","max_tokens":{{maxTokens}},"messages":[{"role":"user","content":{{JsonSerializer.Serialize(user)}}}]{{extra}}}""";

    private Task<HttpResponseMessage> PostAsync(string json, params (string, string)[] headers) =>
        sim.PostAsync(Path, json, null, [("x-api-key", "sk-ant-test"), ("anthropic-version", "2023-06-01"), .. headers]);

    [Fact]
    public async Task Non_stream_message_has_text_stop_reason_and_usage()
    {
        var response = await PostAsync(Body(maxTokens: 5));
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("msg_", body.GetProperty("id").GetString());
        Assert.Equal("message", body.GetProperty("type").GetString());
        Assert.Equal("assistant", body.GetProperty("role").GetString());
        Assert.Equal("claude-sonnet-4-5", body.GetProperty("model").GetString());
        var block = Assert.Single(body.GetProperty("content").EnumerateArray());
        Assert.Equal("text", block.GetProperty("type").GetString());
        Assert.Equal(Vocabulary.TextString(5), block.GetProperty("text").GetString());
        Assert.Equal("max_tokens", body.GetProperty("stop_reason").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("stop_sequence").ValueKind);
        var usage = body.GetProperty("usage");
        Assert.Equal(2, usage.GetProperty("input_tokens").GetInt32());
        Assert.Equal(5, usage.GetProperty("output_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("cache_read_input_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("cache_creation_input_tokens").GetInt32());
        Assert.Equal("5", response.Headers.GetValues("x-sim-received-max-tokens").Single());
    }

    [Theory]
    [InlineData(64, 64, "end_turn")]
    [InlineData(4096, 64, "end_turn")]
    [InlineData(63, 63, "max_tokens")]
    [InlineData(1, 1, "max_tokens")]
    public async Task Output_is_the_smaller_of_max_tokens_and_64_words(int maxTokens, int words, string stopReason)
    {
        var body = await SimulatorFixture.ReadJsonAsync(await PostAsync(Body(maxTokens: maxTokens)));

        Assert.Equal(words, body.GetProperty("content")[0].GetProperty("text").GetString()!.Split(' ').Length);
        Assert.Equal(words, body.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal(stopReason, body.GetProperty("stop_reason").GetString());
    }

    [Fact]
    public async Task Input_tokens_count_system_text_blocks_and_tool_results_but_not_images()
    {
        var json = """
            {"model":"m","max_tokens":10,"system":[{"type":"text","text":"be very brief"}],"messages":[
              {"role":"user","content":[{"type":"text","text":"what is this"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA BB"}}]},
              {"role":"assistant","content":[{"type":"text","text":"calling"},{"type":"tool_use","id":"t","name":"f","input":{"q":"x y"}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"sunny and warm"}]},{"type":"text","text":"thanks"}]}]}
            """;
        var body = await SimulatorFixture.ReadJsonAsync(await PostAsync(json));
        Assert.Equal(3 + 3 + 1 + 3 + 1, body.GetProperty("usage").GetProperty("input_tokens").GetInt32());
    }

    [Fact]
    public async Task System_as_a_string_counts()
    {
        var body = await SimulatorFixture.ReadJsonAsync(await PostAsync(Body(""","system":"one two three four" """, user: "hi")));
        Assert.Equal(5, body.GetProperty("usage").GetProperty("input_tokens").GetInt32());
    }

    [Fact]
    public async Task Stream_sends_the_documented_events_in_order()
    {
        var response = await PostAsync(Body(""","stream":true""", maxTokens: 3));
        var (events, completed) = await Sse.ReadAsync(response);

        Assert.True(completed);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(
            ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Name));
        Assert.Equal(events.Select(e => e.Name), events.Select(e => e.Json.GetProperty("type").GetString()));

        var message = events[0].Json.GetProperty("message");
        Assert.StartsWith("msg_", message.GetProperty("id").GetString());
        Assert.Equal("claude-sonnet-4-5", message.GetProperty("model").GetString());
        Assert.Equal(0, message.GetProperty("content").GetArrayLength());
        Assert.Equal(2, message.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        Assert.Equal("text", events[1].Json.GetProperty("content_block").GetProperty("type").GetString());

        var deltas = events.Where(e => e.Name == "content_block_delta").Select(e => e.Json.GetProperty("delta")).ToList();
        Assert.All(deltas, d => Assert.Equal("text_delta", d.GetProperty("type").GetString()));
        Assert.Equal(Vocabulary.TextString(3), string.Concat(deltas.Select(d => d.GetProperty("text").GetString())));

        var messageDelta = events[^2].Json;
        Assert.Equal("max_tokens", messageDelta.GetProperty("delta").GetProperty("stop_reason").GetString());
        // Cumulative, as Anthropic's: input and cache figures again beside the final output count.
        var usage = messageDelta.GetProperty("usage");
        Assert.Equal(3, usage.GetProperty("output_tokens").GetInt32());
        Assert.Equal(2, usage.GetProperty("input_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("cache_read_input_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("cache_creation_input_tokens").GetInt32());
    }

    [Fact]
    public async Task Tool_use_is_a_content_block_with_the_input_object()
    {
        var body = await SimulatorFixture.ReadJsonAsync(await PostAsync(Body($$""","tools":{{Tools}}""", user: "use_tool")));

        Assert.Equal("tool_use", body.GetProperty("stop_reason").GetString());
        var block = Assert.Single(body.GetProperty("content").EnumerateArray());
        Assert.Equal("tool_use", block.GetProperty("type").GetString());
        Assert.StartsWith("toolu_", block.GetProperty("id").GetString());
        Assert.Equal("get_weather", block.GetProperty("name").GetString());
        Assert.Equal("""{"city":"Paris","days":3}""", block.GetProperty("input").GetRawText());
        Assert.Equal(10, body.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Tool_use_stream_sends_input_json_deltas_that_reassemble_exactly()
    {
        var (events, completed) = await Sse.ReadAsync(await PostAsync(Body($$""","tools":{{Tools}},"stream":true""", user: "now use_tool")));

        Assert.True(completed);
        var start = events[1].Json.GetProperty("content_block");
        Assert.Equal("tool_use", start.GetProperty("type").GetString());
        Assert.Equal("get_weather", start.GetProperty("name").GetString());
        var pieces = events.Where(e => e.Name == "content_block_delta").Select(e => e.Json.GetProperty("delta")).ToList();
        Assert.True(pieces.Count >= 3);
        Assert.All(pieces, p => Assert.Equal("input_json_delta", p.GetProperty("type").GetString()));
        Assert.Equal("""{"city":"Paris","days":3}""", string.Concat(pieces.Select(p => p.GetProperty("partial_json").GetString())));
        Assert.Equal("tool_use", events[^2].Json.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal(10, events[^2].Json.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal("message_stop", events[^1].Name);
    }

    [Fact]
    public async Task Tool_result_as_the_last_user_message_gets_a_text_answer()
    {
        var json = $$"""
            {"model":"m","max_tokens":100,"tools":{{Tools}},"messages":[
              {"role":"user","content":"use_tool"},
              {"role":"assistant","content":[{"type":"tool_use","id":"t","name":"get_weather","input":{} }]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"sunny"}]}]}
            """;
        var body = await SimulatorFixture.ReadJsonAsync(await PostAsync(json));
        Assert.Equal("end_turn", body.GetProperty("stop_reason").GetString());
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""", "max_tokens")]
    [InlineData("""{"max_tokens":5,"messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":"m","max_tokens":5}""", "messages")]
    [InlineData("""{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}""", "max_tokens")]
    [InlineData("""{"model":"m","max_tokens":1.5,"messages":[{"role":"user","content":"hi"}]}""", "max_tokens")]
    public async Task Missing_or_invalid_fields_are_a_400_in_anthropic_shape(string json, string field)
    {
        var response = await PostAsync(json);
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("error", body.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains(field, body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Malformed_json_is_a_400_in_anthropic_shape()
    {
        var response = await PostAsync("{\"model\":");
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("error", body.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", body.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Missing_key_is_a_401_authentication_error()
    {
        var response = await sim.PostAsync(Path, Body(), bearerKey: null, ("anthropic-version", "2023-06-01"));
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("error", body.GetProperty("type").GetString());
        Assert.Equal("authentication_error", body.GetProperty("error").GetProperty("type").GetString());
    }
}
