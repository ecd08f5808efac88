using NexRelay.Billing.Apis;
using NexRelay.Contracts.Billing;

namespace NexRelay.Billing.Tests.Leases;

public sealed class LeaseValidationTests
{
    private static LeaseRequest Request(string period = "total", int reserveSeconds = 60) => new()
    {
        LeaseId = "lease-1",
        WalletId = Guid.NewGuid(),
        KeyId = Guid.NewGuid(),
        TargetMicros = 1_000,
        MinimumMicros = 100,
        BudgetPeriod = period,
        ReserveSeconds = reserveSeconds,
    };

    [Theory]
    [InlineData("total", 600, "2026-11-29T23:55:00Z", "2026-11-30T00:05:00Z", "total")]
    [InlineData("day", 600, "2026-11-29T23:55:00Z", "2026-11-30T00:00:00Z", "day:2026-11-29")]  // the bucket ends first
    [InlineData("day", 60, "2026-11-29T23:55:00Z", "2026-11-29T23:56:00Z", "day:2026-11-29")]
    [InlineData("month", 3600, "2026-11-30T23:30:00Z", "2026-12-01T00:00:00Z", "month:2026-11")]
    [InlineData("month", 3600, "2026-11-15T12:00:00Z", "2026-11-15T13:00:00Z", "month:2026-11")]
    public void Reserve_window_is_reserve_seconds_but_never_beyond_the_budget_bucket(string period, int seconds, string now,
        string expected, string expectedKey)
    {
        var errors = LeasesApi.Validate(Request(period, seconds), Parse(now), out var periodKey, out var reserveUntil);

        Assert.Empty(errors);
        Assert.Equal(expectedKey, periodKey);
        Assert.Equal(Parse(expected), reserveUntil);
    }

    [Fact]
    public void Every_bad_field_is_named()
    {
        var request = new LeaseRequest
        {
            LeaseId = " ",
            WalletId = Guid.Empty,
            KeyId = Guid.Empty,
            TargetMicros = -1,
            MinimumMicros = 0,
            ShareDivisor = 0,
            BudgetMicros = -5,
            BudgetPeriod = "year",
            ReserveSeconds = 0,
        };

        var errors = LeasesApi.Validate(request, DateTimeOffset.UnixEpoch, out _, out _);

        Assert.Equal(["budgetMicros", "budgetPeriod", "keyId", "leaseId", "minimumMicros", "reserveSeconds", "shareDivisor", "targetMicros", "walletId"],
            errors.Keys.Order(StringComparer.Ordinal));
    }

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
}
