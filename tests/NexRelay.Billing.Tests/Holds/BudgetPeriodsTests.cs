using NexRelay.Billing.Holds;

namespace NexRelay.Billing.Tests.Holds;

public sealed class BudgetPeriodsTests
{
    [Theory]
    [InlineData(null, "2026-11-29T23:59:59+00:00", "total")]
    [InlineData("total", "2026-11-29T10:00:00+00:00", "total")]
    [InlineData("day", "2026-11-29T23:59:59+00:00", "day:2026-11-29")]
    [InlineData("DAY", "2026-11-30T00:00:00+00:00", "day:2026-11-30")]
    [InlineData("day", "2026-11-29T23:30:00-02:00", "day:2026-11-30")]
    [InlineData("month", "2026-11-30T23:59:59+00:00", "month:2026-11")]
    [InlineData("month", "2026-12-01T00:00:00+00:00", "month:2026-12")]
    [InlineData(" month ", "2027-01-15T00:00:00+00:00", "month:2027-01")]
    public void Period_key_names_the_utc_bucket(string? period, string now, string expected)
    {
        Assert.True(BudgetPeriods.TryGetKey(period, DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), out var key));
        Assert.Equal(expected, key);
    }

    [Theory]
    [InlineData("week")]
    [InlineData("")]
    [InlineData("daily")]
    public void Unknown_period_is_rejected(string period) =>
        Assert.False(BudgetPeriods.TryGetKey(period, DateTimeOffset.UnixEpoch, out _));

    [Theory]
    [InlineData("day", "2026-11-29T23:59:59+00:00", "2026-11-30T00:00:00+00:00")]
    [InlineData("day", "2026-11-29T00:00:00+00:00", "2026-11-30T00:00:00+00:00")]
    [InlineData("day", "2026-11-29T23:30:00-02:00", "2026-12-01T00:00:00+00:00")]
    [InlineData("month", "2026-11-30T23:59:59+00:00", "2026-12-01T00:00:00+00:00")]
    [InlineData("month", "2026-12-31T12:00:00+00:00", "2027-01-01T00:00:00+00:00")]
    [InlineData("MONTH", "2028-02-29T08:00:00+00:00", "2028-03-01T00:00:00+00:00")]
    [InlineData("month", "2026-01-31T00:00:00+00:00", "2026-02-01T00:00:00+00:00")]
    public void Period_ends_at_the_start_of_the_next_utc_bucket(string period, string now, string expected)
    {
        Assert.True(BudgetPeriods.TryGetEnd(period, Parse(now), out var end));
        Assert.Equal(Parse(expected), end);
        Assert.Equal(TimeSpan.Zero, end!.Value.Offset);
    }

    [Fact]
    public void Total_never_ends_and_an_unknown_period_has_no_end()
    {
        Assert.True(BudgetPeriods.TryGetEnd(null, DateTimeOffset.UnixEpoch, out var total));
        Assert.Null(total);
        Assert.True(BudgetPeriods.TryGetEnd("total", DateTimeOffset.UnixEpoch, out total));
        Assert.Null(total);
        Assert.False(BudgetPeriods.TryGetEnd("week", DateTimeOffset.UnixEpoch, out _));
    }

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
}
