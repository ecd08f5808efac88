using System.Globalization;

namespace NexRelay.Billing.Holds;

/// <summary>Names the budget bucket a hold counts against: <c>total</c>, <c>day:2026-11-29</c> or <c>month:2026-11</c> (UTC).</summary>
public static class BudgetPeriods
{
    public const string Total = "total";
    public const string Day = "day";
    public const string Month = "month";

    public static bool TryGetKey(string? period, DateTimeOffset now, out string periodKey)
    {
        var utc = now.UtcDateTime;
        periodKey = (period ?? Total).Trim().ToLowerInvariant() switch
        {
            Total => Total,
            Day => "day:" + utc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            Month => "month:" + utc.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            _ => "",
        };
        return periodKey.Length > 0;
    }

    /// <summary>The buckets each kind of period names at <paramref name="now"/>: the ones spending can still reach.</summary>
    public static string[] CurrentKeys(DateTimeOffset now) =>
        [.. new[] { Total, Day, Month }.Select(period => TryGetKey(period, now, out var key) ? key : throw new InvalidOperationException(period))];

    /// <summary>
    /// When the bucket that <paramref name="period"/> names at <paramref name="now"/> ends (the next UTC midnight or first of
    /// the month); null for <c>total</c>, which never ends. A credit lease must not outlive its bucket.
    /// </summary>
    public static bool TryGetEnd(string? period, DateTimeOffset now, out DateTimeOffset? end)
    {
        var utc = now.UtcDateTime;
        var today = new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero);
        switch ((period ?? Total).Trim().ToLowerInvariant())
        {
            case Total:
                end = null;
                return true;
            case Day:
                end = today.AddDays(1);
                return true;
            case Month:
                end = today.AddDays(1 - utc.Day).AddMonths(1);
                return true;
            default:
                end = null;
                return false;
        }
    }
}
