using System.Globalization;

namespace NexRelay.Console.Components.Shared;

/// <summary>How the console writes money, counts and times: invariant, UTC, and money to the micro-dollar where it matters.</summary>
public static class Format
{
    /// <summary>Dollars with cents, and more digits only when the amount has them (a request often costs fractions of a cent).</summary>
    public static string Usd(decimal? amount)
    {
        if (amount is not { } a) return "–";
        var text = a.ToString("#,0.00####", CultureInfo.InvariantCulture);
        return a < 0 ? "-$" + text[1..] : "$" + text;
    }

    public static string Count(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    public static string Ms(double? ms) => ms is { } v ? v.ToString(v < 10 ? "0.0" : "#,0", CultureInfo.InvariantCulture) + " ms" : "–";

    public static string Percent(double share) => share.ToString("0.#%", CultureInfo.InvariantCulture);
}
