using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using NexRelay.Testing;

namespace NexRelay.SimulatedProvider.Tests.Simulation;

public sealed class KnobPathTests : IAsyncLifetime
{
    private ServiceFactory<Program> _factory = null!;
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _factory = new ServiceFactory<Program>(new Dictionary<string, string?>());
        _factory.StartServer();
        _client = _factory.CreateClient();
        _client.DefaultRequestHeaders.Add("Authorization", "Bearer sim");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    private static JsonObject Chat(int maxTokens) => new()
    {
        ["model"] = "gpt-5.4",
        ["max_tokens"] = maxTokens,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hello there" }),
    };

    [Theory]
    [InlineData(503)]
    [InlineData(429)]
    [InlineData(500)]
    public async Task Fail_status_in_the_path_fails_the_request_like_the_header(int status)
    {
        using var response = await _client.PostAsJsonAsync($"/knobs/fail-status={status}/v1/chat/completions", Chat(3));
        Assert.Equal(status, (int)response.StatusCode);
        Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]);
    }

    [Fact]
    public async Task Path_without_knobs_answers_normally_and_flag_knobs_need_no_value()
    {
        using var plain = await _client.PostAsJsonAsync("/v1/chat/completions", Chat(3));
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        using var omitted = await _client.PostAsJsonAsync("/knobs/omit-usage/v1/chat/completions", Chat(3));
        Assert.Equal(HttpStatusCode.OK, omitted.StatusCode);
        var body = JsonNode.Parse(await omitted.Content.ReadAsStringAsync())!;
        Assert.Null(body["usage"]);
        Assert.Equal(3, body["choices"]![0]!["message"]!["content"]!.GetValue<string>().Split(' ').Length);
    }

    [Fact]
    public async Task A_header_wins_over_the_same_knob_in_the_path()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/knobs/fail-status=503/v1/chat/completions") { Content = JsonContent.Create(Chat(2)) };
        request.Headers.Add("x-sim-fail-status", "0");
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
