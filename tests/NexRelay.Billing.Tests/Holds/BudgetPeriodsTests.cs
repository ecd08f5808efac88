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
}
