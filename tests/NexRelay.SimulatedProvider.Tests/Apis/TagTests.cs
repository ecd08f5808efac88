using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace NexRelay.SimulatedProvider.Tests.Apis;

/// <summary>The <c>tag</c> knob and <c>GET /sim/requests/{tag}</c>: how many requests with a tag reached the simulator.</summary>
public sealed class TagTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    private static string NewTag() => "t-" + Guid.NewGuid().ToString("N");

    private async Task<long> CountAsync(string tag)
    {
        using var response = await sim.Client.GetAsync($"/sim/requests/{tag}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await SimulatorFixture.ReadJsonAsync(response);
        Assert.Equal(tag, body.GetProperty("tag").GetString());
        return body.GetProperty("count").GetInt64();
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Requests_are_counted_per_tag_from_header_directive_and_path(string format)
    {
        var wire = WireCase.Get(format);
        var tag = NewTag();
        var other = NewTag();

        Assert.Equal(0, await CountAsync(tag));
        await sim.PostAsync(wire.Path, wire.Body(3, false), null, wire.Key, ("x-sim-tag", tag));
        await sim.PostAsync(wire.StreamPath, wire.BodyWith($"[sim:tag={tag}]", 3, stream: true), null, wire.Key);
        await sim.PostAsync($"/knobs/tag={tag}{wire.Path}", wire.Body(3, false), null, wire.Key);
        await sim.PostAsync(wire.Path, wire.Body(3, false), null, wire.Key, ("x-sim-tag", other));
        await sim.PostAsync(wire.Path, wire.Body(3, false), null, wire.Key);

        Assert.Equal(3, await CountAsync(tag));
        Assert.Equal(1, await CountAsync(other));
    }

    [Fact]
    public async Task Refused_and_failed_requests_count_too_since_they_reached_the_simulator()
    {
        var tag = NewTag();
        var wire = WireCase.Get("anthropic");

        var unauthenticated = await sim.PostAsync(wire.Path, wire.Body(3, false), null, ("x-sim-tag", tag));
        var failed = await sim.PostAsync(wire.Path, wire.Body(3, false), null, wire.Key, ("x-sim-tag", tag), ("x-sim-fail-status", "500"));
        var malformed = await sim.PostAsync(wire.Path, "{not json", null, wire.Key, ("x-sim-tag", tag));

        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(3, await CountAsync(tag));
    }

    [Fact]
    public async Task Every_provider_request_counts_in_the_total_and_the_test_api_does_not()
    {
        var wire = WireCase.Get("openai-chat");
        var before = await TotalAsync();
        await sim.PostAsync(wire.Path, wire.Body(3, false), null, wire.Key);
        await sim.PostAsync(wire.Path, "{not json", null, wire.Key);
        await sim.PostAsync($"/knobs/fail-status=503{wire.Path}", wire.Body(3, false), null, wire.Key);
        await CountAsync(NewTag());
        // Other tests share the simulator: at least these three, and no more were subtracted.
        Assert.True(await TotalAsync() - before >= 3);
    }

    private async Task<long> TotalAsync()
    {
        using var response = await sim.Client.GetAsync("/sim/requests");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await SimulatorFixture.ReadJsonAsync(response)).GetProperty("count").GetInt64();
    }

    [Fact]
    public async Task A_request_is_counted_only_once_its_body_has_been_read()
    {
        var tag = NewTag();
        var content = new GatedContent("""{"model":"m","max_tokens":2,""", """ "messages":[{"role":"user","content":"hi"}]}""");
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-test");
        request.Headers.Add("x-sim-tag", tag);

        var sending = sim.Client.SendAsync(request);
        await content.FirstPartSent.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(300);
        Assert.Equal(0, await CountAsync(tag));

        content.SendRest.SetResult();
        using var response = await sending;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, await CountAsync(tag));
    }

    /// <summary>A body sent in two parts: the first flushed onto the wire at once, the second when the test says so.</summary>
    private sealed class GatedContent(string first, string rest) : HttpContent
    {
        private readonly TaskCompletionSource _firstPartSent = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task FirstPartSent => _firstPartSent.Task;

        public TaskCompletionSource SendRest { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(first));
            await stream.FlushAsync();
            _firstPartSent.SetResult();
            await SendRest.Task;
            await stream.WriteAsync(Encoding.UTF8.GetBytes(rest));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task The_count_needs_no_api_key_and_an_impossible_tag_is_a_400_problem()
    {
        using var response = await sim.Client.GetAsync("/sim/requests/not%20a%20tag");
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(400, body.GetProperty("status").GetInt32());
        Assert.Equal(JsonValueKind.String, body.GetProperty("type").ValueKind);
    }
}
