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
}
