using System.Net;

namespace NexRelay.SimulatedProvider.Tests.Apis;

/// <summary>The knobs that change reported usage (hidden-reasoning, usage-input/-output/-cached) and early usage in streams.</summary>
public sealed class UsageKnobTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    private const string Huge = "9223372036854775807";

    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in WireCase.Names)
        {
            data.Add(name, false);
            data.Add(name, true);
        }
        return data;
    }

    private async Task<ReportedUsage> UsageAsync(WireCase wire, int limit, bool stream, params (string, string)[] headers)
    {
        var response = await sim.PostAsync(stream ? wire.StreamPath : wire.Path, wire.Body(limit, stream), null, [wire.Key, .. headers]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        if (!stream) return wire.BodyUsage(await SimulatorFixture.ReadJsonAsync(response));
        var (events, completed) = await Sse.ReadAsync(response);
        Assert.True(completed);
        return wire.StreamUsage(events);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Hidden_reasoning_is_reported_as_reasoning_tokens(string format, bool stream)
    {
        var wire = WireCase.Get(format);
        var usage = await UsageAsync(wire, 5, stream, ("x-sim-hidden-reasoning", "7"));

        const int input = WireCase.PromptWords;
        var expected = format switch
        {
            // OpenAI counts reasoning inside the output and says how much of it was reasoning.
            "openai-chat" or "openai-responses" => new ReportedUsage(input, 5 + 7, 0, 7, input + 5 + 7),
            // Anthropic's thinking is output.
            "anthropic" => new ReportedUsage(input, 5 + 7, 0, null, null),
            // Gemini reports thoughts beside the candidates, and in the total.
            _ => new ReportedUsage(input, 5, 0, 7, input + 5 + 7),
        };
        Assert.Equal(expected, usage);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Without_the_usage_knobs_the_counted_figures_are_reported(string format, bool stream)
    {
        var wire = WireCase.Get(format);
        var usage = await UsageAsync(wire, 5, stream);

        var reasoning = format == "anthropic" ? (long?)null : 0;
        var total = format == "anthropic" ? (long?)null : WireCase.PromptWords + 5;
        Assert.Equal(new ReportedUsage(WireCase.PromptWords, 5, 0, reasoning, total), usage);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Usage_knobs_replace_the_figures_verbatim_and_totals_saturate(string format, bool stream)
    {
        var wire = WireCase.Get(format);
        var usage = await UsageAsync(wire, 5, stream, ("x-sim-usage-input", Huge), ("x-sim-usage-output", "12"), ("x-sim-usage-cached", "-3"));

        Assert.Equal(long.MaxValue, usage.Input);
        Assert.Equal(12, usage.Output);
        Assert.Equal(-3, usage.Cached);
        if (usage.Total is { } total) Assert.Equal(long.MaxValue, total);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Negative_and_extreme_figures_pass_through(string format, bool stream)
    {
        var wire = WireCase.Get(format);
        var usage = await UsageAsync(wire, 5, stream, ("x-sim-usage-input", "-1"), ("x-sim-usage-output", "-9223372036854775808"), ("x-sim-usage-cached", Huge));

        Assert.Equal(-1, usage.Input);
        Assert.Equal(long.MinValue, usage.Output);
        Assert.Equal(long.MaxValue, usage.Cached);
        if (usage.Total is { } total) Assert.Equal(long.MinValue, total);
    }

    [Theory]
    [MemberData(nameof(WireCase.All), MemberType = typeof(WireCase))]
    public async Task Usage_knobs_can_come_from_a_directive(string format)
    {
        var wire = WireCase.Get(format);
        var response = await sim.PostAsync(wire.Path, wire.BodyWith("[sim:usage-input=1000000;usage-output=2000000]", 5, stream: false), null, wire.Key);
        var usage = wire.BodyUsage(await SimulatorFixture.ReadJsonAsync(response));

        Assert.Equal(1_000_000, usage.Input);
        Assert.Equal(2_000_000, usage.Output);
    }

    [Fact]
    public async Task Usage_output_replaces_the_output_even_with_hidden_reasoning()
    {
        var wire = WireCase.Get("openai-chat");
        var usage = await UsageAsync(wire, 5, stream: false, ("x-sim-usage-output", "3"), ("x-sim-hidden-reasoning", "7"));

        Assert.Equal(3, usage.Output);
        Assert.Equal(7, usage.Reasoning);
    }

    [Fact]
    public async Task Anthropic_reports_the_overridden_figures_in_message_start_and_message_delta()
    {
        var wire = WireCase.Get("anthropic");
        var response = await sim.PostAsync(wire.StreamPath, wire.Body(3, true), null, wire.Key,
            ("x-sim-usage-input", "11"), ("x-sim-usage-output", "22"), ("x-sim-usage-cached", "33"));
        var (events, _) = await Sse.ReadAsync(response);

        var start = events.Single(e => e.Name == "message_start").Json.GetProperty("message").GetProperty("usage");
        var delta = events.Single(e => e.Name == "message_delta").Json.GetProperty("usage");
        foreach (var usage in new[] { start, delta })
        {
            Assert.Equal(11, usage.GetProperty("input_tokens").GetInt64());
            Assert.Equal(22, usage.GetProperty("output_tokens").GetInt64());
            Assert.Equal(33, usage.GetProperty("cache_read_input_tokens").GetInt64());
        }
    }

    [Fact]
    public async Task Anthropic_message_start_reports_the_input_before_any_text()
    {
        var wire = WireCase.Get("anthropic");
        var (events, _) = await Sse.ReadAsync(await sim.PostAsync(wire.StreamPath, wire.Body(3, true), null, wire.Key));

        Assert.Equal("message_start", events[0].Name);
        var usage = events[0].Json.GetProperty("message").GetProperty("usage");
        Assert.Equal(WireCase.PromptWords, usage.GetProperty("input_tokens").GetInt64());
        Assert.Equal(0, usage.GetProperty("cache_read_input_tokens").GetInt64());
    }

    [Fact]
    public async Task Every_gemini_chunk_carries_the_prompt_and_the_running_output()
    {
        var wire = WireCase.Get("gemini");
        var (events, _) = await Sse.ReadAsync(await sim.PostAsync(wire.StreamPath, wire.Body(3, true), null, wire.Key, ("x-sim-hidden-reasoning", "4")));

        var usages = events.Select(e => e.Json.GetProperty("usageMetadata")).ToList();
        Assert.Equal(4, usages.Count);
        Assert.All(usages, u => Assert.Equal(WireCase.PromptWords, u.GetProperty("promptTokenCount").GetInt64()));
        Assert.Equal([1L, 2, 3, 3], usages.Select(u => u.GetProperty("candidatesTokenCount").GetInt64()));
        Assert.All(usages, u => Assert.Equal(4, u.GetProperty("thoughtsTokenCount").GetInt64()));
        Assert.Equal([WireCase.PromptWords + 1 + 4L, WireCase.PromptWords + 2 + 4, WireCase.PromptWords + 3 + 4, WireCase.PromptWords + 3 + 4],
            usages.Select(u => u.GetProperty("totalTokenCount").GetInt64()));
    }

    [Fact]
    public async Task Gemini_reports_cached_tokens_only_when_the_knob_sets_them_and_overrides_every_chunk()
    {
        var wire = WireCase.Get("gemini");
        var (events, _) = await Sse.ReadAsync(await sim.PostAsync(wire.StreamPath, wire.Body(3, true), null, wire.Key,
            ("x-sim-usage-input", "50"), ("x-sim-usage-output", "60"), ("x-sim-usage-cached", "40")));
        var plain = await SimulatorFixture.ReadJsonAsync(await sim.PostAsync(wire.Path, wire.Body(3, false), null, wire.Key));

        Assert.All(events, e =>
        {
            var u = e.Json.GetProperty("usageMetadata");
            Assert.Equal(50, u.GetProperty("promptTokenCount").GetInt64());
            Assert.Equal(60, u.GetProperty("candidatesTokenCount").GetInt64());
            Assert.Equal(40, u.GetProperty("cachedContentTokenCount").GetInt64());
            Assert.Equal(110, u.GetProperty("totalTokenCount").GetInt64());
        });
        Assert.False(plain.GetProperty("usageMetadata").TryGetProperty("cachedContentTokenCount", out _));
    }

    [Fact]
    public async Task OpenAI_chat_streams_still_report_usage_only_when_asked()
    {
        var response = await sim.PostAsync("/v1/chat/completions",
            """{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}""", ("x-sim-hidden-reasoning", "3"), ("x-sim-usage-input", "9"));
        var (events, completed) = await Sse.ReadAsync(response);

        Assert.True(completed);
        Assert.DoesNotContain(events, e => e.Data.Contains("\"usage\"", StringComparison.Ordinal));
    }
}
