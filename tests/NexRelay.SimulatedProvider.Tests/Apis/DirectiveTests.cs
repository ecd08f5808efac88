using System.Diagnostics;
using System.Net;

namespace NexRelay.SimulatedProvider.Tests.Apis;

/// <summary>Prompt directives (<c>[sim:…]</c> in the request's text) set knobs per request, below headers and above the path.</summary>
public sealed class DirectiveTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task A_directive_in_the_prompt_sets_a_knob(string format)
    {
        var wire = WireCase.Get(format);
        var response = await sim.PostAsync(wire.Path, wire.BodyWith("[sim:fail-status=503]", 5, stream: false), null, wire.Key);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        wire.AssertErrorShape(await SimulatorFixture.ReadJsonAsync(response), 503);
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Several_knobs_and_flags_in_one_directive_all_apply(string format)
    {
        var wire = WireCase.Get(format);
        var clock = Stopwatch.StartNew();
        var response = await sim.PostAsync(wire.Path, wire.BodyWith("[sim:first-byte-delay-ms=300;omit-usage]", 5, stream: false), null, wire.Key);
        var headersAfter = clock.Elapsed;
        var body = await SimulatorFixture.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(headersAfter >= TimeSpan.FromMilliseconds(250), $"headers after {headersAfter.TotalMilliseconds} ms");
        Assert.False(wire.BodyHasUsage(body));
    }

    public static TheoryData<string, string, string> TextPlaces() => new()
    {
        { "chat system message", "/v1/chat/completions",
            """{"model":"m","messages":[{"role":"system","content":"[sim:fail-status=529]"},{"role":"user","content":"hi"}]}""" },
        { "chat content part", "/v1/chat/completions",
            """{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi [sim:fail-status=529]"}]}]}""" },
        { "chat earlier assistant turn", "/v1/chat/completions",
            """{"model":"m","messages":[{"role":"assistant","content":"[sim:fail-status=529]"},{"role":"user","content":"hi"}]}""" },
        { "responses instructions", "/v1/responses", """{"model":"m","instructions":"[sim:fail-status=529]","input":"hi"}""" },
        { "responses input item", "/v1/responses",
            """{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"[sim:fail-status=529]"}]}]}""" },
        { "anthropic system string", "/v1/messages",
            """{"model":"m","max_tokens":5,"system":"[sim:fail-status=529]","messages":[{"role":"user","content":"hi"}]}""" },
        { "anthropic system block", "/v1/messages",
            """{"model":"m","max_tokens":5,"system":[{"type":"text","text":"[sim:fail-status=529]"}],"messages":[{"role":"user","content":"hi"}]}""" },
        { "anthropic tool result", "/v1/messages",
            """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"[sim:fail-status=529]"}]}]}""" },
        { "gemini systemInstruction", "/v1beta/models/g:generateContent",
            """{"systemInstruction":{"parts":[{"text":"[sim:fail-status=529]"}]},"contents":[{"parts":[{"text":"hi"}]}]}""" },
        { "gemini model turn", "/v1beta/models/g:generateContent",
            """{"contents":[{"role":"model","parts":[{"text":"[sim:fail-status=529]"}]},{"role":"user","parts":[{"text":"hi"}]}]}""" },
    };

    [Theory]
    [MemberData(nameof(TextPlaces))]
    public async Task A_directive_is_read_wherever_the_request_carries_text(string place, string path, string json)
    {
        var response = await sim.PostAsync(path, json);
        Assert.True(response.StatusCode == (HttpStatusCode)529, $"{place}: {(int)response.StatusCode}");
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task A_real_header_wins_over_a_directive(string format)
    {
        var wire = WireCase.Get(format);
        var response = await sim.PostAsync(wire.Path, wire.BodyWith("[sim:fail-status=503]", 5, stream: false), null, wire.Key, ("x-sim-fail-status", "0"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task A_directive_wins_over_the_path_and_the_path_still_sets_the_other_knobs(string format)
    {
        var wire = WireCase.Get(format);

        var overridden = await sim.PostAsync("/knobs/fail-status=503" + wire.Path, wire.BodyWith("[sim:fail-status=0]", 5, stream: false), null, wire.Key);
        var combined = await sim.PostAsync("/knobs/omit-usage" + wire.Path, wire.BodyWith("[sim:echo-request]", 5, stream: false), null, wire.Key);

        Assert.Equal(HttpStatusCode.OK, overridden.StatusCode);
        Assert.Equal(HttpStatusCode.OK, combined.StatusCode);
        Assert.True(combined.Headers.Contains("x-sim-request-body"));
        Assert.False(wire.BodyHasUsage(await SimulatorFixture.ReadJsonAsync(combined)));
    }

    [Fact]
    public async Task A_directive_only_applies_to_its_own_request()
    {
        var wire = WireCase.Get("openai-chat");
        var failed = await sim.PostAsync(wire.Path, wire.BodyWith("[sim:fail-status=503]", 5, stream: false), null, wire.Key);
        var next = await sim.PostAsync(wire.Path, wire.Body(5, false), null, wire.Key);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task The_directive_counts_as_input_like_any_other_word()
    {
        var wire = WireCase.Get("openai-chat");
        var response = await sim.PostAsync(wire.Path, wire.BodyWith("[sim:echo-request]", 5, stream: false), null, wire.Key);

        Assert.Equal(WireCase.PromptWords + 1, wire.BodyUsage(await SimulatorFixture.ReadJsonAsync(response)).Input);
    }
}
