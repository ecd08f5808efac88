using NexRelay.Edge.Relay;

namespace NexRelay.Edge.Tests.Relay;

/// <summary>How long one upstream attempt waits for its response headers.</summary>
public sealed class ResponseWaitTests
{
    private static readonly RelayOptions Options = new()
    {
        FirstByteTimeout = TimeSpan.FromSeconds(60),
        NonStreamedWaitPerOutputToken = TimeSpan.FromMilliseconds(50),
        NonStreamedMaxWait = TimeSpan.FromMinutes(30),
    };

    [Theory]
    [InlineData(1)]
    [InlineData(128_000)]
    public void A_stream_waits_the_first_byte_timeout_whatever_its_output_limit(int maxOutput) =>
        Assert.Equal(TimeSpan.FromSeconds(60), Options.ResponseWait(stream: true, maxOutput));

    [Theory]
    [InlineData(0, 60)]
    [InlineData(1_000, 110)]
    [InlineData(16_384, 879.2)]
    [InlineData(128_000, 1_800)] // capped at 30 minutes
    public void A_non_streamed_answer_waits_for_its_generation(int maxOutput, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Options.ResponseWait(stream: false, maxOutput));

    [Fact]
    public void The_cap_never_cuts_below_the_first_byte_timeout()
    {
        var options = new RelayOptions { FirstByteTimeout = TimeSpan.FromMinutes(40), NonStreamedMaxWait = TimeSpan.FromMinutes(30) };
        Assert.Equal(TimeSpan.FromMinutes(40), options.ResponseWait(stream: false, 10));
    }
}
