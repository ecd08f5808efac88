using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using OpenTelemetry.Trace;
using HostingDefaults = Microsoft.Extensions.Hosting.Extensions;

namespace NexRelay.Edge.Tests.Telemetry;

/// <summary>
/// <c>NexRelay:Telemetry:TraceSampleRatio</c> as every service reads it (ServiceDefaults): the share of traces started here that
/// are kept, while a trace begun and kept upstream is always followed. Tested on the sampler itself: activity listeners are
/// process-wide, so a recorded activity in this test process could be another test host's decision.
/// </summary>
public sealed class TraceSamplerTests
{
    // TraceIdRatioBasedSampler compares the trace id's first 8 bytes (as a long) with ratio × long.MaxValue.
    private static readonly ActivityTraceId LowTraceId = ActivityTraceId.CreateFromString("00000000000000010000000000000000");
    private static readonly ActivityTraceId HighTraceId = ActivityTraceId.CreateFromString("7fffffffffffff000000000000000000");

    [Theory]
    [InlineData(null)]
    [InlineData("1")]
    [InlineData("1.0")]
    public void Every_trace_is_kept_by_default_and_at_one(string? ratio)
    {
        var sampler = Sampler(ratio);
        Assert.Equal(SamplingDecision.RecordAndSample, Root(sampler, LowTraceId));
        Assert.Equal(SamplingDecision.RecordAndSample, Root(sampler, HighTraceId));
    }

    [Fact]
    public void At_zero_no_trace_starts_here()
    {
        var sampler = Sampler("0");
        Assert.Equal(SamplingDecision.Drop, Root(sampler, LowTraceId));
        Assert.Equal(SamplingDecision.Drop, Root(sampler, HighTraceId));
    }

    [Fact]
    public void A_ratio_keeps_traces_by_trace_id_so_every_service_decides_alike()
    {
        var sampler = Sampler("0.5");
        Assert.Equal(SamplingDecision.RecordAndSample, Root(sampler, LowTraceId));
        Assert.Equal(SamplingDecision.Drop, Root(sampler, HighTraceId));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("0")]
    [InlineData("0.5")]
    [InlineData("1")]
    public void The_decision_made_where_the_trace_began_is_followed_whatever_the_ratio(string? ratio)
    {
        // A trace is kept whole or not at all; at 0.5 the ratio alone would decide both cases the other way.
        var sampler = Sampler(ratio);
        Assert.Equal(SamplingDecision.RecordAndSample, Child(sampler, HighTraceId, parentSampled: true));
        Assert.Equal(SamplingDecision.Drop, Child(sampler, LowTraceId, parentSampled: false));
    }

    [Fact]
    public void A_ratio_keeps_about_its_share_of_random_traces()
    {
        var sampler = Sampler("0.1");
        var kept = Enumerable.Range(0, 20_000).Count(_ => Root(sampler, ActivityTraceId.CreateRandom()) == SamplingDecision.RecordAndSample);
        Assert.InRange(kept, 1_700, 2_300); // 2,000 expected, σ ≈ 42: ±7σ
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("-0.1")]
    [InlineData("NaN")]
    public void A_ratio_outside_zero_to_one_stops_the_service_with_the_setting_named(string ratio)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Sampler(ratio));
        Assert.Contains("NexRelay:Telemetry:TraceSampleRatio", error.Message, StringComparison.Ordinal);
        Assert.Contains("between 0 and 1", error.Message, StringComparison.Ordinal);
    }

    private static Sampler Sampler(string? ratio)
    {
        var settings = new Dictionary<string, string?>();
        if (ratio is not null) settings["NexRelay:Telemetry:TraceSampleRatio"] = ratio;
        return HostingDefaults.TraceSampler(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
    }

    private static SamplingDecision Root(Sampler sampler, ActivityTraceId traceId) =>
        sampler.ShouldSample(new SamplingParameters(default, traceId, "relay", ActivityKind.Server)).Decision;

    private static SamplingDecision Child(Sampler sampler, ActivityTraceId traceId, bool parentSampled)
    {
        var parent = new ActivityContext(traceId, ActivitySpanId.CreateRandom(), parentSampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None, isRemote: true);
        return sampler.ShouldSample(new SamplingParameters(parent, traceId, "settle", ActivityKind.Consumer)).Decision;
    }
}
