using NexRelay.Billing.Notifications;

namespace NexRelay.Billing.Tests.Notifications;

public sealed class ThresholdRuleTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-12-03T07:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    [Fact]
    public void Crossing_fires_once_and_staying_below_sends_nothing_more()
    {
        var (s, send) = ThresholdRule.Decide(true, new(false, null), T0, Window);
        Assert.True(send);
        Assert.Equal(new ThresholdState(true, T0), s);
        (s, send) = ThresholdRule.Decide(true, s, T0.AddHours(1), Window);
        Assert.False(send);
        Assert.Equal(new ThresholdState(true, T0), s);
    }

    [Fact]
    public void Crossing_back_rearms_and_crossing_again_after_the_window_fires_again()
    {
        var (s, send) = ThresholdRule.Decide(false, new(true, T0), T0.AddSeconds(10), Window);
        Assert.False(send);
        Assert.Equal(new ThresholdState(false, T0), s);
        (s, send) = ThresholdRule.Decide(true, s, T0.AddSeconds(61), Window);
        Assert.True(send);
        Assert.Equal(new ThresholdState(true, T0.AddSeconds(61)), s);
    }

    [Fact]
    public void Flapping_within_the_window_sends_nothing_and_does_not_move_the_window()
    {
        var (s, send) = ThresholdRule.Decide(false, new(true, T0), T0.AddSeconds(5), Window);
        (s, send) = ThresholdRule.Decide(true, s, T0.AddSeconds(10), Window);
        Assert.False(send);
        Assert.Equal(new ThresholdState(true, T0), s);
        (s, _) = ThresholdRule.Decide(false, s, T0.AddSeconds(20), Window);
        (_, send) = ThresholdRule.Decide(true, s, T0.AddSeconds(60), Window);
        Assert.True(send);
    }

    [Fact]
    public void Above_the_threshold_and_armed_nothing_happens() =>
        Assert.Equal((new ThresholdState(false, null), false), ThresholdRule.Decide(false, new(false, null), T0, Window));

    [Theory]
    [InlineData(1, 1000)]
    [InlineData(2, 2000)]
    [InlineData(3, 4000)]
    [InlineData(6, 32000)]
    [InlineData(7, 60000)]
    [InlineData(40, 60000)]
    public void Retries_back_off_exponentially_up_to_the_cap(int failed, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), ThresholdRule.RetryDelay(failed, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)));
}
