using Microsoft.AspNetCore.Http;
using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Tests.Simulation;

public sealed class KnobsTests
{
    private static readonly SimulatorOptions Defaults = new()
    {
        FirstByteDelayMs = 10, TokenDelayMs = 20, FailStatus = 503, CutAfter = 4, OmitUsage = true, EchoRequest = true,
    };

    [Fact]
    public void Settings_apply_when_no_header_is_given()
    {
        var knobs = Knobs.From(new HeaderDictionary(), Defaults);
        Assert.Equal(new Knobs(10, 20, 503, 4, true, true), knobs);
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
        };
        Assert.Equal(new Knobs(100, 5, 429, 2, false, false), Knobs.From(headers, Defaults));
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
    public void Unreadable_headers_fall_back_to_settings(string header, string value)
    {
        var knobs = Knobs.From(new HeaderDictionary { [header] = value }, Defaults);
        Assert.Equal(Knobs.From(new HeaderDictionary(), Defaults), knobs);
    }

    [Theory]
    [InlineData("200")]
    [InlineData("302")]
    public void Non_error_fail_statuses_mean_no_failure(string value)
    {
        var knobs = Knobs.From(new HeaderDictionary { ["x-sim-fail-status"] = value }, new SimulatorOptions());
        Assert.Equal(0, knobs.FailStatus);
    }
}
