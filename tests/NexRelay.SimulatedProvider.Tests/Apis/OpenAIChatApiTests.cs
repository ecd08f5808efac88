using System.Net;
using System.Text.Json;
using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Tests.Apis;

public sealed class OpenAIChatApiTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    private const string Path = "/v1/chat/completions";

    private const string Tools = """[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}},{"type":"function","function":{"name":"other"}}]""";

    private static string Body(string extra = "", string user = "hello there simulator") =>
        $$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":{{JsonSerializer.Serialize(user)}}}]{{extra}}}""";

    [Fact]
    public async Task Non_stream_answer_has_the_requested_words_and_exact_usage()
    {
        var (response, body) = await sim.PostJsonAsync(Path, Body(""","max_tokens":5"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("chatcmpl-", body.GetProperty("id").GetString());
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.Equal("gpt-4o-mini", body.GetProperty("model").GetString());
        Assert.True(body.GetProperty("created").GetInt64() > 1_700_000_000);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(Vocabulary.TextString(5), choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        var usage = body.GetProperty("usage");
        Assert.Equal(3, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(5, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(8, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
        Assert.Equal("5", response.Headers.GetValues("x-sim-received-max-tokens").Single());
    }

    [Theory]
    [InlineData("", 64, "stop", "none")]
    [InlineData(""","max_tokens":1""", 1, "length", "1")]
    [InlineData(""","max_tokens":63""", 63, "length", "63")]
    [InlineData(""","max_tokens":64""", 64, "stop", "64")]
    [InlineData(""","max_tokens":1000""", 64, "stop", "1000")]
    [InlineData(""","max_completion_tokens":7""", 7, "length", "7")]
    [InlineData(""","max_completion_tokens":7,"max_tokens":9""", 7, "length", "7")]
    [InlineData(""","max_completion_tokens":null,"max_tokens":9""", 9, "length", "9")]
    public async Task Output_is_the_smaller_of_the_limit_and_64_words(string extra, int words, string finish, string header)
    {
        var (response, body) = await sim.PostJsonAsync(Path, Body(extra));

        var content = body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.Equal(words, content.Split(' ').Length);
        Assert.Equal(words, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(finish, body.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(header, response.Headers.GetValues("x-sim-received-max-tokens").Single());
    }

    [Fact]
    public async Task Input_tokens_count_words_in_every_message_text_and_ignore_images()
    {
        var json = """
            {"model":"m","messages":[
              {"role":"system","content":"be brief"},
              {"role":"user","content":[{"type":"text","text":"look at this"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA BBBB"}}]},
              {"role":"assistant","content":"a picture","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"x\": \"y z\"}"}}]},
              {"role":"tool","tool_call_id":"c","content":"result has four words"},
              {"role":"user","content":"thanks"}]}
            """;
        var (_, body) = await sim.PostJsonAsync(Path, json);
        Assert.Equal(2 + 3 + 2 + 4 + 1, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Input_tokens_are_at_least_one()
    {
        var (_, body) = await sim.PostJsonAsync(Path, Body(user: "   "));
        Assert.Equal(1, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Stream_with_include_usage_sends_role_content_finish_usage_and_done()
    {
        var response = await sim.PostAsync(Path, Body(""","stream":true,"stream_options":{"include_usage":true},"max_completion_tokens":4"""));
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var (events, completed) = await Sse.ReadAsync(response);

        Assert.True(completed);
        Assert.Equal("[DONE]", events[^1].Data);
        var chunks = events.SkipLast(1).Select(e => e.Json).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.All(chunks, c => Assert.Equal("gpt-4o-mini", c.GetProperty("model").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
        Assert.Equal(1 + 4 + 1 + 1, chunks.Count);

        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var text = string.Concat(chunks.Skip(1).Take(4).Select(c => c.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString()));
        Assert.Equal(Vocabulary.TextString(4), text);
        Assert.All(chunks.Take(5), c => Assert.Equal(JsonValueKind.Null, c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));
        Assert.All(chunks.Take(6), c => Assert.Equal(JsonValueKind.Null, c.GetProperty("usage").ValueKind));
        Assert.Equal("length", chunks[5].GetProperty("choices")[0].GetProperty("finish_reason").GetString());

        var last = chunks[6];
        Assert.Equal(0, last.GetProperty("choices").GetArrayLength());
        Assert.Equal(4, last.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(3, last.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(7, last.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        Assert.Equal(0, last.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
    }

    [Fact]
    public async Task Stream_without_include_usage_reports_no_usage()
    {
        var response = await sim.PostAsync(Path, Body(""","stream":true,"max_tokens":3"""));
        var (events, _) = await Sse.ReadAsync(response);

        Assert.Equal("[DONE]", events[^1].Data);
        Assert.Equal(1 + 3 + 1, events.Count - 1);
        Assert.DoesNotContain(events.SkipLast(1), e => e.Json.TryGetProperty("usage", out _));
        Assert.Equal("length", events[^2].Json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Tool_call_is_made_to_the_first_tool_when_the_last_user_message_asks()
    {
        var (_, body) = await sim.PostJsonAsync(Path, Body($$""","tools":{{Tools}}""", user: "please use_tool now"));

        var choice = body.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var message = choice.GetProperty("message");
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        var call = Assert.Single(message.GetProperty("tool_calls").EnumerateArray());
        Assert.StartsWith("call_", call.GetProperty("id").GetString());
        Assert.Equal("function", call.GetProperty("type").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("""{"city":"Paris","days":3}""", call.GetProperty("function").GetProperty("arguments").GetString());
        Assert.Equal(10, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Tool_call_stream_splits_arguments_that_reassemble_exactly()
    {
        var response = await sim.PostAsync(Path, Body($$""","tools":{{Tools}},"stream":true,"stream_options":{"include_usage":true}""", user: "use_tool"));
        var (events, completed) = await Sse.ReadAsync(response);

        Assert.True(completed);
        var chunks = events.SkipLast(1).Select(e => e.Json).ToList();
        var first = chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("tool_calls")[0];
        Assert.Equal("get_weather", first.GetProperty("function").GetProperty("name").GetString());
        Assert.StartsWith("call_", first.GetProperty("id").GetString());
        var pieces = chunks.Skip(1)
            .Where(c => c.GetProperty("choices").GetArrayLength() > 0 && c.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("tool_calls", out _))
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString())
            .ToList();
        Assert.True(pieces.Count >= 3);
        Assert.Equal("""{"city":"Paris","days":3}""", string.Concat(first.GetProperty("function").GetProperty("arguments").GetString(), string.Concat(pieces)));
        Assert.Equal("tool_calls", chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(10, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Theory]
    [InlineData(""","tools":[]""", "use_tool")]
    [InlineData("", "use_tool")]
    [InlineData(""","tools":[{"type":"function","function":{"name":"f"}}]""", "no trigger here")]
    public async Task Text_is_answered_without_tools_or_without_the_trigger(string extra, string user)
    {
        var (_, body) = await sim.PostJsonAsync(Path, Body(extra, user));
        Assert.Equal("stop", body.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Tool_result_as_the_last_message_gets_a_text_answer()
    {
        var json = $$"""
            {"model":"m","tools":{{Tools}},"messages":[
              {"role":"user","content":"use_tool please"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"get_weather","arguments":"{}"} }]},
              {"role":"tool","tool_call_id":"c","content":"sunny"}]}
            """;
        var (_, body) = await sim.PostJsonAsync(Path, json);
        Assert.Equal("stop", body.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":"m"}""", "messages")]
    [InlineData("""{"model":"m","messages":[]}""", "messages")]
    [InlineData("""{"model":"m","messages":"hi"}""", "messages")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":0}""", "max_tokens")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":"5"}""", "max_completion_tokens")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":"yes"}""", "stream")]
    public async Task Missing_or_invalid_fields_are_a_400_naming_the_param(string json, string param)
    {
        var (response, body) = await sim.PostJsonAsync(Path, json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = body.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.True(error.TryGetProperty("code", out _));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("[1,2]")]
    public async Task Malformed_json_is_a_400_in_openai_shape(string json)
    {
        var (response, body) = await sim.PostJsonAsync(Path, json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("error").GetProperty("param").ValueKind);
        Assert.Equal("none", response.Headers.GetValues("x-sim-received-max-tokens").Single());
    }

    [Fact]
    public async Task Missing_key_is_a_401_in_openai_shape()
    {
        var response = await sim.PostAsync(Path, Body(), bearerKey: null);
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_request_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("invalid_api_key", body.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Empty_bearer_token_is_a_401()
    {
        var response = await sim.PostAsync(Path, Body(), bearerKey: null, ("Authorization", "Bearer "));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Models_list_is_in_openai_shape()
    {
        using var response = await sim.Client.GetAsync("/v1/models");
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal("list", body.GetProperty("object").GetString());
        Assert.All(body.GetProperty("data").EnumerateArray(), m => Assert.Equal("model", m.GetProperty("object").GetString()));
        Assert.Contains(body.GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == "gpt-4o-mini");
    }

    [Fact]
    public async Task Unicode_model_names_are_echoed_unchanged()
    {
        var (_, body) = await sim.PostJsonAsync(Path, """{"model":"my-model+<ü>","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal("my-model+<ü>", body.GetProperty("model").GetString());
    }
}
