using System.Net;
using System.Text.Json;
using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Tests.Apis;

public sealed class GeminiApiTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    private const string Generate = "/v1beta/models/gemini-2.5-flash:generateContent";
    private const string StreamSse = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse";
    private const string Tools = """[{"functionDeclarations":[{"name":"get_weather","parameters":{"type":"OBJECT"}},{"name":"other"}]}]""";

    private static string Body(string extra = "", string user = "hello there friend") =>
        $$"""{"contents":[{"role":"user","parts":[{"text":{{JsonSerializer.Serialize(user)}}}]}]{{extra}}}""";

    private Task<HttpResponseMessage> PostAsync(string path, string json, params (string, string)[] headers) =>
        sim.PostAsync(path, json, null, [("x-goog-api-key", "AIza-test"), .. headers]);

    [Fact]
    public async Task Non_stream_response_has_a_model_candidate_and_usage_metadata()
    {
        var response = await PostAsync(Generate, Body(""","generationConfig":{"maxOutputTokens":5}"""));
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var candidate = Assert.Single(body.GetProperty("candidates").EnumerateArray());
        Assert.Equal("model", candidate.GetProperty("content").GetProperty("role").GetString());
        Assert.Equal(Vocabulary.TextString(5), candidate.GetProperty("content").GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal("MAX_TOKENS", candidate.GetProperty("finishReason").GetString());
        Assert.Equal(0, candidate.GetProperty("index").GetInt32());
        var usage = body.GetProperty("usageMetadata");
        Assert.Equal(3, usage.GetProperty("promptTokenCount").GetInt32());
        Assert.Equal(5, usage.GetProperty("candidatesTokenCount").GetInt32());
        Assert.Equal(8, usage.GetProperty("totalTokenCount").GetInt32());
        Assert.Equal("gemini-2.5-flash", body.GetProperty("modelVersion").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("responseId").GetString()));
        Assert.Equal("5", response.Headers.GetValues("x-sim-received-max-tokens").Single());
    }

    [Theory]
    [InlineData("", 64, "STOP")]
    [InlineData(""","generationConfig":{"maxOutputTokens":64}""", 64, "STOP")]
    [InlineData(""","generationConfig":{"maxOutputTokens":8192}""", 64, "STOP")]
    [InlineData(""","generation_config":{"max_output_tokens":2}""", 2, "MAX_TOKENS")]
    public async Task Output_is_the_smaller_of_max_output_tokens_and_64_words(string extra, int words, string finish)
    {
        var body = await SimulatorFixture.ReadJsonAsync(await PostAsync(Generate, Body(extra)));

        var candidate = body.GetProperty("candidates")[0];
        Assert.Equal(words, candidate.GetProperty("content").GetProperty("parts")[0].GetProperty("text").GetString()!.Split(' ').Length);
        Assert.Equal(finish, candidate.GetProperty("finishReason").GetString());
        Assert.Equal(words, body.GetProperty("usageMetadata").GetProperty("candidatesTokenCount").GetInt32());
    }

    [Theory]
    [InlineData("/v1/models/gemini-2.0-flash:generateContent", "gemini-2.0-flash")]
    [InlineData("/v1beta/models/gemini-1.5-pro-002:generateContent", "gemini-1.5-pro-002")]
    public async Task Model_comes_from_the_path_under_v1_and_v1beta(string path, string model)
    {
        var response = await PostAsync(path, Body());
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(model, body.GetProperty("modelVersion").GetString());
    }

    [Fact]
    public async Task Key_in_the_query_string_is_accepted()
    {
        var response = await sim.PostAsync(Generate + "?key=AIza-test", Body(), bearerKey: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Input_tokens_count_system_instruction_text_parts_and_function_responses()
    {
        var json = """
            {"systemInstruction":{"parts":[{"text":"answer in french"}]},"contents":[
              {"role":"user","parts":[{"text":"what is it"},{"inlineData":{"mimeType":"image/png","data":"AA BB"}}]},
              {"role":"model","parts":[{"functionCall":{"name":"f","args":{"q":"x y"}}}]},
              {"role":"user","parts":[{"functionResponse":{"name":"f","response":{"result":"warm and sunny"}}}]},
              {"parts":[{"text":"merci"}]}]}
            """;
        var body = await SimulatorFixture.ReadJsonAsync(await PostAsync(Generate, json));
        Assert.Equal(3 + 3 + 3 + 1, body.GetProperty("usageMetadata").GetProperty("promptTokenCount").GetInt32());
    }

    [Fact]
    public async Task Sse_stream_sends_one_chunk_per_word_then_a_final_chunk_with_finish_reason_and_final_usage()
    {
        var response = await PostAsync(StreamSse, Body(""","generationConfig":{"maxOutputTokens":4}"""));
        var (events, completed) = await Sse.ReadAsync(response);

        Assert.True(completed);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(5, events.Count);
        Assert.All(events, e => Assert.Null(e.Name));
        var chunks = events.Select(e => e.Json).ToList();
        var text = string.Concat(chunks.Select(c => c.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts")[0].GetProperty("text").GetString()));
        Assert.Equal(Vocabulary.TextString(4), text);
        Assert.All(chunks.SkipLast(1), c => Assert.False(c.GetProperty("candidates")[0].TryGetProperty("finishReason", out _)));
        // As Gemini does, every chunk reports the prompt and the output so far.
        Assert.Equal([1, 2, 3, 4, 4], chunks.Select(c => c.GetProperty("usageMetadata").GetProperty("candidatesTokenCount").GetInt32()));
        Assert.All(chunks, c => Assert.Equal(3, c.GetProperty("usageMetadata").GetProperty("promptTokenCount").GetInt32()));
        Assert.Equal([4, 5, 6, 7, 7], chunks.Select(c => c.GetProperty("usageMetadata").GetProperty("totalTokenCount").GetInt32()));
        Assert.All(chunks, c => Assert.False(c.GetProperty("usageMetadata").TryGetProperty("thoughtsTokenCount", out _)));
        Assert.All(chunks, c => Assert.False(c.GetProperty("usageMetadata").TryGetProperty("cachedContentTokenCount", out _)));
        Assert.Single(chunks.Select(c => c.GetProperty("responseId").GetString()).Distinct());
        Assert.All(chunks, c => Assert.Equal("gemini-2.5-flash", c.GetProperty("modelVersion").GetString()));

        var last = chunks[^1];
        Assert.Equal("MAX_TOKENS", last.GetProperty("candidates")[0].GetProperty("finishReason").GetString());
        Assert.Equal(4, last.GetProperty("usageMetadata").GetProperty("candidatesTokenCount").GetInt32());
        Assert.Equal(3, last.GetProperty("usageMetadata").GetProperty("promptTokenCount").GetInt32());
        Assert.Equal(7, last.GetProperty("usageMetadata").GetProperty("totalTokenCount").GetInt32());
    }

    [Fact]
    public async Task Stream_without_alt_sse_is_one_json_array_of_chunks()
    {
        var response = await PostAsync("/v1beta/models/gemini-2.5-flash:streamGenerateContent", Body(""","generationConfig":{"maxOutputTokens":3}"""));
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(JsonValueKind.Array, body.ValueKind);
        Assert.Equal(4, body.GetArrayLength());
        Assert.Equal("MAX_TOKENS", body[3].GetProperty("candidates")[0].GetProperty("finishReason").GetString());
        Assert.Equal(3, body[3].GetProperty("usageMetadata").GetProperty("candidatesTokenCount").GetInt32());
    }

    [Fact]
    public async Task Tool_call_is_a_function_call_part()
    {
        var body = await SimulatorFixture.ReadJsonAsync(await PostAsync(Generate, Body($$""","tools":{{Tools}}""", user: "use_tool")));

        var candidate = body.GetProperty("candidates")[0];
        Assert.Equal("STOP", candidate.GetProperty("finishReason").GetString());
        var call = candidate.GetProperty("content").GetProperty("parts")[0].GetProperty("functionCall");
        Assert.Equal("get_weather", call.GetProperty("name").GetString());
        Assert.Equal("""{"city":"Paris","days":3}""", call.GetProperty("args").GetRawText());
        Assert.Equal(10, body.GetProperty("usageMetadata").GetProperty("candidatesTokenCount").GetInt32());
    }

    [Fact]
    public async Task Tool_call_stream_sends_the_function_call_whole_in_one_chunk()
    {
        var (events, completed) = await Sse.ReadAsync(await PostAsync(StreamSse, Body($$""","tools":{{Tools}}""", user: "use_tool")));

        Assert.True(completed);
        var calls = events.Select(e => e.Json.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts")[0])
            .Where(p => p.TryGetProperty("functionCall", out _)).ToList();
        var call = Assert.Single(calls).GetProperty("functionCall");
        Assert.Equal("get_weather", call.GetProperty("name").GetString());
        Assert.Equal("""{"city":"Paris","days":3}""", call.GetProperty("args").GetRawText());
        Assert.Equal("STOP", events[^1].Json.GetProperty("candidates")[0].GetProperty("finishReason").GetString());
        Assert.Equal(10, events[^1].Json.GetProperty("usageMetadata").GetProperty("candidatesTokenCount").GetInt32());
    }

    [Fact]
    public async Task Snake_case_tool_declarations_are_understood()
    {
        var body = await SimulatorFixture.ReadJsonAsync(await PostAsync(Generate,
            Body(""","tools":[{"function_declarations":[{"name":"lookup"}]}]""", user: "use_tool")));
        Assert.Equal("lookup", body.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts")[0].GetProperty("functionCall").GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"contents":[]}""")]
    [InlineData("""{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":"x"}}""")]
    [InlineData("""{"contents":""")]
    public async Task Bad_requests_are_a_400_invalid_argument(string json)
    {
        var response = await PostAsync(Generate, json);
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(400, body.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal("INVALID_ARGUMENT", body.GetProperty("error").GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("error").GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Missing_key_is_a_401_unauthenticated()
    {
        var response = await sim.PostAsync(Generate, Body(), bearerKey: null);
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(401, body.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal("UNAUTHENTICATED", body.GetProperty("error").GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("/v1beta/models/gemini-2.5-flash:countTokens")]
    [InlineData("/v1beta/models/gemini-2.5-flash")]
    public async Task Unknown_methods_are_a_404_not_found(string path)
    {
        var response = await PostAsync(path, Body());
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("NOT_FOUND", body.GetProperty("error").GetProperty("status").GetString());
    }
}
