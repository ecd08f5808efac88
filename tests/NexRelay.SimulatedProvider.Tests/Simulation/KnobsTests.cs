using Microsoft.AspNetCore.Http;
using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Tests.Simulation;

public sealed class KnobsTests
{
    private static readonly SimulatorOptions Defaults = new()
    {
        FirstByteDelayMs = 10, TokenDelayMs = 20, FailStatus = 503, CutAfter = 4, OmitUsage = true, EchoRequest = true,
        Tag = "configured", FinishDelayMs = 30, HiddenReasoning = 5, UsageInput = 1, UsageOutput = 2, UsageCached = 3, AbortBeforeHeaders = true,
    };

    private static readonly Knobs FromDefaults = new()
    {
        FirstByteDelayMs = 10, TokenDelayMs = 20, FailStatus = 503, CutAfter = 4, OmitUsage = true, EchoRequest = true,
        Tag = "configured", FinishDelayMs = 30, HiddenReasoning = 5, UsageInput = 1, UsageOutput = 2, UsageCached = 3, AbortBeforeHeaders = true,
    };

    private static Dictionary<string, string> Items(params (string Name, string Value)[] items) =>
        items.ToDictionary(i => i.Name, i => i.Value, StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void Settings_apply_when_no_header_is_given()
    {
        Assert.Equal(FromDefaults, Knobs.From(new HeaderDictionary(), Defaults));
    }

    [Fact]
    public void Without_settings_every_knob_is_off()
    {
        var knobs = Knobs.From(new HeaderDictionary(), new SimulatorOptions());
        Assert.Equal(new Knobs(), knobs);
        Assert.Equal(-1, knobs.CutAfter);
        Assert.Null(knobs.Tag);
        Assert.Null(knobs.UsageInput);
    }

    [Fact]
    public void Headers_override_settings()
    {
        var headers = new HeaderDictionary
        {
            ["x-sim-first-byte-delay-ms"] = "100",
            ["x-sim-token-delay-ms"] = "5",
            ["x-sim-fail-status"] = "429",
            ["x-sim-cut-after"] = "2",
            ["x-sim-omit-usage"] = "false",
            ["x-sim-echo-request"] = "False",
            ["x-sim-tag"] = "run-1.a_b~c",
            ["x-sim-finish-delay-ms"] = "250",
            ["x-sim-hidden-reasoning"] = "7",
            ["x-sim-usage-input"] = "-5",
            ["x-sim-usage-output"] = "9223372036854775807",
            ["x-sim-usage-cached"] = "-9223372036854775808",
            ["x-sim-abort-before-headers"] = "false",
        };
        var expected = new Knobs
        {
            FirstByteDelayMs = 100, TokenDelayMs = 5, FailStatus = 429, CutAfter = 2, OmitUsage = false, EchoRequest = false,
            Tag = "run-1.a_b~c", FinishDelayMs = 250, HiddenReasoning = 7, UsageInput = -5, UsageOutput = long.MaxValue, UsageCached = long.MinValue,
            AbortBeforeHeaders = false,
        };
        Assert.Equal(expected, Knobs.From(headers, Defaults));
    }

    [Fact]
    public void A_zero_fail_status_header_turns_a_configured_failure_off()
    {
        var knobs = Knobs.From(new HeaderDictionary { ["x-sim-fail-status"] = "0" }, Defaults);
        Assert.Equal(0, knobs.FailStatus);
    }

    [Theory]
    [InlineData("x-sim-token-delay-ms", "fast")]
    [InlineData("x-sim-token-delay-ms", "-5")]
    [InlineData("x-sim-cut-after", "-2")]
    [InlineData("x-sim-omit-usage", "yes")]
    [InlineData("x-sim-finish-delay-ms", "-1")]
    [InlineData("x-sim-hidden-reasoning", "-1")]
    [InlineData("x-sim-usage-input", "9223372036854775808")]
    [InlineData("x-sim-usage-output", "1.5")]
    [InlineData("x-sim-tag", "has space")]
    [InlineData("x-sim-tag", "slash/tag")]
    [InlineData("x-sim-abort-before-headers", "1")]
    public void Unreadable_headers_fall_back_to_settings(string header, string value)
    {
        var knobs = Knobs.From(new HeaderDictionary { [header] = value }, Defaults);
        Assert.Equal(FromDefaults, knobs);
    }

    [Fact]
    public void A_tag_longer_than_128_characters_is_not_read()
    {
        Assert.Equal("t", Knobs.From(new HeaderDictionary { ["x-sim-tag"] = new string('a', 129) }, new SimulatorOptions { Tag = "t" }).Tag);
        Assert.Equal(new string('a', 128), Knobs.From(new HeaderDictionary { ["x-sim-tag"] = new string('a', 128) }, new SimulatorOptions()).Tag);
    }

    [Theory]
    [InlineData("200")]
    [InlineData("302")]
    public void Non_error_fail_statuses_mean_no_failure(string value)
    {
        var knobs = Knobs.From(new HeaderDictionary { ["x-sim-fail-status"] = value }, new SimulatorOptions());
        Assert.Equal(0, knobs.FailStatus);
    }

    [Fact]
    public void Header_beats_directive_beats_path_beats_setting()
    {
        var sources = new KnobSources(
            new HeaderDictionary { ["x-sim-fail-status"] = "500" },
            Items(("fail-status", "502"), ("finish-delay-ms", "40")),
            Items(("fail-status", "503"), ("finish-delay-ms", "50"), ("hidden-reasoning", "6")));

        var knobs = Knobs.From(sources, Defaults);

        Assert.Equal(500, knobs.FailStatus);
        Assert.Equal(40, knobs.FinishDelayMs);
        Assert.Equal(6, knobs.HiddenReasoning);
        Assert.Equal(20, knobs.TokenDelayMs);
    }

    [Fact]
    public void An_unreadable_value_gives_way_to_the_next_source()
    {
        var sources = new KnobSources(
            new HeaderDictionary { ["x-sim-usage-input"] = "lots" },
            Items(("usage-input", "ten")),
            Items(("usage-input", "77")));
        Assert.Equal(77, Knobs.From(sources, Defaults).UsageInput);
    }

    [Fact]
    public void A_flag_in_a_directive_or_path_reads_true_and_its_name_is_case_insensitive()
    {
        var fromPath = KnobPath.Parse("Omit-Usage;abort-before-headers;tag=x", ';');
        var knobs = Knobs.From(new KnobSources(new HeaderDictionary(), null, fromPath), new SimulatorOptions());
        Assert.True(knobs.OmitUsage);
        Assert.True(knobs.AbortBeforeHeaders);
        Assert.Equal("x", knobs.Tag);
    }
}
