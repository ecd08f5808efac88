namespace NexRelay.Contracts.Money;

/// <summary>Integer micro-USD arithmetic: the one place that rounds.</summary>
public static class Micros
{
    public const long PerUsd = 1_000_000;

    /// <summary>Cost of <paramref name="tokens"/> at <paramref name="microsPerMillionTokens"/> (micro-USD per million tokens), before rounding, in pico-USD.</summary>
    public static Int128 Picos(long tokens, long microsPerMillionTokens) => (Int128)tokens * microsPerMillionTokens;

    /// <summary>
    /// Rounds a sum of pico-USD (micro-USD × 10⁻⁶) up to whole micro-USD, once per request. Saturates at
    /// <see cref="long.MaxValue"/>: absurd usage (tokens near long.MaxValue) must not wrap to a small or negative cost.
    /// </summary>
    public static long CeilFromPicos(Int128 picos)
    {
        if (picos <= 0) return 0;
        var micros = (picos - 1) / 1_000_000 + 1;
        return micros >= long.MaxValue ? long.MaxValue : (long)micros;
    }

    /// <summary>Parses a USD amount given in JSON (up to 6 decimals) without floating point.</summary>
    public static bool TryParseUsd(decimal usd, out long micros)
    {
        micros = 0;
        var scaled = usd * PerUsd;
        if (scaled != decimal.Truncate(scaled) || scaled > long.MaxValue || scaled < long.MinValue) return false;
        micros = (long)scaled;
        return true;
    }

    public static decimal ToUsd(long micros) => micros / (decimal)PerUsd;
}
