using System.Diagnostics;
using System.Net;
using System.Text;

namespace NexRelay.SimulatedProvider.Tests.Apis;

/// <summary>The x-sim-* knobs, each checked in every wire format.</summary>
public sealed class KnobTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    private Task<HttpResponseMessage> SendAsync(WireCase wire, int limit, bool stream, params (string, string)[] headers) =>
        sim.PostAsync(stream ? wire.StreamPath : wire.Path, wire.Body(limit, stream), null, [wire.Key, .. headers]);

    public static TheoryData<string, int> FailCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in WireCase.Names)
        {
            foreach (var status in new[] { 429, 500, 503 }) data.Add(name, status);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(FailCases))]
    public async Task Fail_status_answers_with_that_status_and_the_format_error_body(string format, int status)
    {
        var wire = WireCase.Get(format);
        var response = await SendAsync(wire, 5, stream: false, ("x-sim-fail-status", status.ToString()));
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        wire.AssertErrorShape(body, status);
        Assert.Equal("5", response.Headers.GetValues("x-sim-received-max-tokens").Single());
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Fail_status_applies_to_streams_before_any_event(string format)
    {
        var wire = WireCase.Get(format);
        var response = await SendAsync(wire, 5, stream: true, ("x-sim-fail-status", "503"));
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        wire.AssertErrorShape(body, 503);
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Cut_after_sends_k_tokens_then_drops_the_connection_without_final_events(string format)
    {
        var wire = WireCase.Get(format);
        var response = await SendAsync(wire, 10, stream: true, ("x-sim-cut-after", "3"));
        var (events, completed) = await Sse.ReadAsync(response);

        Assert.False(completed);
        Assert.Equal(3, wire.StreamedTokens(events));
        Assert.False(wire.HasFinalEvent(events));
        Assert.DoesNotContain(events, e => wire.CarriesUsage(e));
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Cut_after_zero_drops_the_connection_before_any_token(string format)
    {
        var wire = WireCase.Get(format);
        var (events, completed) = await Sse.ReadAsync(await SendAsync(wire, 10, stream: true, ("x-sim-cut-after", "0")));

        Assert.False(completed);
        Assert.Equal(0, wire.StreamedTokens(events));
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Cut_after_beyond_the_output_still_drops_the_connection_before_the_final_events(string format)
    {
        var wire = WireCase.Get(format);
        var (events, completed) = await Sse.ReadAsync(await SendAsync(wire, 4, stream: true, ("x-sim-cut-after", "100")));

        Assert.False(completed);
        Assert.Equal(4, wire.StreamedTokens(events));
        Assert.False(wire.HasFinalEvent(events));
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Cut_after_on_a_whole_answer_sends_part_of_the_body_then_drops_the_connection(string format)
    {
        var wire = WireCase.Get(format);
        var response = await SendAsync(wire, 5, stream: false, ("x-sim-cut-after", "2"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Assert.ThrowsAnyAsync<Exception>(async () => await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Streams_report_usage_and_final_events_without_knobs(string format)
    {
        var wire = WireCase.Get(format);
        var (events, completed) = await Sse.ReadAsync(await SendAsync(wire, 6, stream: true));

        Assert.True(completed);
        Assert.Equal(6, wire.StreamedTokens(events));
        Assert.True(wire.HasFinalEvent(events));
        Assert.Contains(events, e => wire.CarriesUsage(e));
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Omit_usage_leaves_usage_out_of_non_streamed_answers(string format)
    {
        var wire = WireCase.Get(format);
        var response = await SendAsync(wire, 5, stream: false, ("x-sim-omit-usage", "true"));
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(wire.BodyHasUsage(body));
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Omit_usage_leaves_usage_out_of_streams(string format)
    {
        var wire = WireCase.Get(format);
        var (events, completed) = await Sse.ReadAsync(await SendAsync(wire, 5, stream: true, ("x-sim-omit-usage", "true")));

        Assert.True(completed);
        Assert.True(wire.HasFinalEvent(events));
        Assert.Equal(5, wire.StreamedTokens(events));
        Assert.DoesNotContain(events, e => wire.CarriesUsage(e));
        Assert.DoesNotContain(events, e => e.Data.Contains("\"usage\"") || e.Data.Contains("usageMetadata"));
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Echo_request_returns_the_exact_body_in_base64(string format)
    {
        var wire = WireCase.Get(format);
        var sent = wire.Body(7, false).Replace("please", "pléase \\u00e9 \\n");
        var response = await sim.PostAsync(wire.Path, sent, null, wire.Key, ("x-sim-echo-request", "true"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = Convert.FromBase64String(response.Headers.GetValues("x-sim-request-body").Single());
        Assert.Equal(Encoding.UTF8.GetBytes(sent), echoed);
        Assert.Equal("7", response.Headers.GetValues("x-sim-received-max-tokens").Single());
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Echo_request_is_not_added_to_streams_or_without_the_knob(string format)
    {
        var wire = WireCase.Get(format);
        var streamed = await SendAsync(wire, 3, stream: true, ("x-sim-echo-request", "true"));
        var plain = await SendAsync(wire, 3, stream: false);

        Assert.False(streamed.Headers.Contains("x-sim-request-body"));
        Assert.False(plain.Headers.Contains("x-sim-request-body"));
        Assert.Equal("3", streamed.Headers.GetValues("x-sim-received-max-tokens").Single());
        Assert.Equal("3", plain.Headers.GetValues("x-sim-received-max-tokens").Single());
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task First_byte_delay_holds_back_the_headers(string format)
    {
        var wire = WireCase.Get(format);
        var clock = Stopwatch.StartNew();
        var response = await SendAsync(wire, 2, stream: true, ("x-sim-first-byte-delay-ms", "300"));
        var headersAfter = clock.Elapsed;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(headersAfter >= TimeSpan.FromMilliseconds(250), $"headers after {headersAfter.TotalMilliseconds} ms");
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Token_delay_spaces_out_streamed_tokens(string format)
    {
        var wire = WireCase.Get(format);
        var clock = Stopwatch.StartNew();
        var response = await SendAsync(wire, 5, stream: true, ("x-sim-token-delay-ms", "60"));
        var headersAfter = clock.Elapsed;
        var (events, _) = await Sse.ReadAsync(response);
        var total = clock.Elapsed;

        Assert.Equal(5, wire.StreamedTokens(events));
        Assert.True(total - headersAfter >= TimeSpan.FromMilliseconds(200), $"stream took {(total - headersAfter).TotalMilliseconds} ms after headers");
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Token_delay_makes_non_streamed_answers_wait_for_every_token(string format)
    {
        var wire = WireCase.Get(format);
        var clock = Stopwatch.StartNew();
        var response = await SendAsync(wire, 5, stream: false, ("x-sim-token-delay-ms", "60"));
        await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"answer after {clock.Elapsed.TotalMilliseconds} ms");
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Finish_delay_holds_the_closing_events_back_after_the_last_token(string format)
    {
        var wire = WireCase.Get(format);
        var (events, completed) = await Sse.ReadAsync(await SendAsync(wire, 3, stream: true, ("x-sim-finish-delay-ms", "600")));

        Assert.True(completed);
        var lastToken = events.FindLastIndex(e => wire.IsToken(e));
        var closing = events.FindIndex(e => wire.IsClosing(e));
        Assert.Equal(3, wire.StreamedTokens(events));
        Assert.True(closing > lastToken, $"closing event {closing} before last token {lastToken}");
        var gap = events[closing].At - events[lastToken].At;
        // Room for a busy machine delaying the read of the last token; without the knob the gap is a few ms.
        Assert.True(gap >= TimeSpan.FromMilliseconds(450), $"closing events {gap.TotalMilliseconds} ms after the last token");
        Assert.Contains(events, e => wire.CarriesUsage(e));
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Finish_delay_makes_a_whole_answer_wait(string format)
    {
        var wire = WireCase.Get(format);
        var clock = Stopwatch.StartNew();
        var response = await SendAsync(wire, 3, stream: false, ("x-sim-finish-delay-ms", "400"));
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(380), $"answer after {clock.Elapsed.TotalMilliseconds} ms");
        Assert.True(wire.BodyHasUsage(body));
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Hidden_reasoning_is_silence_before_the_first_token(string format)
    {
        var wire = WireCase.Get(format);
        // 20 hidden tokens × 40 ms before the first visible one. The client's clock starts a little after the server's
        // silence does, so the bounds leave room for a busy machine; without the silence the first token comes after 40 ms.
        var (events, completed) = await Sse.ReadAsync(await SendAsync(wire, 2, stream: true, ("x-sim-hidden-reasoning", "20"), ("x-sim-token-delay-ms", "40")));

        Assert.True(completed);
        Assert.Equal(2, wire.StreamedTokens(events));
        var firstToken = events.First(e => wire.IsToken(e));
        Assert.True(firstToken.At >= TimeSpan.FromMilliseconds(600), $"first token after {firstToken.At.TotalMilliseconds} ms");
        // The opening events (where the format has any) come first, then the silence.
        if (events[0] != firstToken)
        {
            Assert.True(firstToken.At - events[0].At >= TimeSpan.FromMilliseconds(500), $"silence of {(firstToken.At - events[0].At).TotalMilliseconds} ms");
        }
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Hidden_reasoning_makes_a_whole_answer_wait_for_the_thinking_too(string format)
    {
        var wire = WireCase.Get(format);
        var clock = Stopwatch.StartNew();
        var response = await SendAsync(wire, 1, stream: false, ("x-sim-hidden-reasoning", "10"), ("x-sim-token-delay-ms", "30"));
        await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(300), $"answer after {clock.Elapsed.TotalMilliseconds} ms");
    }

    [Theory]
    [MemberData(nameof(StreamCases))]
    public async Task Abort_before_headers_drops_the_connection_with_no_response(string format, bool stream)
    {
        var wire = WireCase.Get(format);
        await Assert.ThrowsAsync<HttpRequestException>(() => SendAsync(wire, 3, stream, ("x-sim-abort-before-headers", "true")));
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Abort_before_headers_comes_after_the_first_byte_delay_and_the_body_is_counted(string format)
    {
        var wire = WireCase.Get(format);
        var tag = "abort-" + Guid.NewGuid().ToString("N");
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<HttpRequestException>(() => sim.PostAsync(wire.Path,
            wire.BodyWith($"[sim:abort-before-headers;first-byte-delay-ms=300;tag={tag}]", 3, stream: false), null, wire.Key));

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"aborted after {clock.Elapsed.TotalMilliseconds} ms");
        var count = await SimulatorFixture.ReadJsonAsync(await sim.Client.GetAsync($"/sim/requests/{tag}"));
        Assert.Equal(1, count.GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task Abort_before_headers_leaves_the_simulator_serving()
    {
        var wire = WireCase.Get("openai-chat");
        await Assert.ThrowsAsync<HttpRequestException>(() => SendAsync(wire, 3, stream: false, ("x-sim-abort-before-headers", "true")));
        var response = await SendAsync(wire, 3, stream: false, ("x-sim-abort-before-headers", "false"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public static TheoryData<string, bool> StreamCases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in WireCase.Names)
        {
            data.Add(name, false);
            data.Add(name, true);
        }
        return data;
    }
}

/// <summary>A client that goes away mid-stream does not disturb the simulator.</summary>
public sealed class DisconnectTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    [Fact]
    public async Task A_client_leaving_mid_stream_leaves_the_simulator_serving()
    {
        using (var response = await sim.PostAsync("/v1/chat/completions",
            """{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}""", ("x-sim-token-delay-ms", "50")))
        {
            await using var stream = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[64];
            Assert.True(await stream.ReadAsync(buffer) > 0);
        }

        var (after, body) = await sim.PostJsonAsync("/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":2}""");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(2, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }
}
