using NexRelay.Contracts.Money;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Charging;

/// <summary>
/// The one price of a request's usage, for its cost header and its settlement alike (both through <see cref="ChargeRule"/>):
/// the tokens at the model's prices, rounded once (<see cref="Micros.CeilFromPicos"/>), and never more than was held for the request
/// nor below zero. The lease's books and billing's capture take this figure as it is.
/// </summary>
internal static class UsagePrice
{
    /// <summary>The cost in micro-USD; <paramref name="clamped"/> when the tokens priced above <paramref name="heldMicros"/>.</summary>
    public static long Of(Usage usage, ModelPrices prices, long heldMicros, out bool clamped)
    {
        var cost = Micros.CeilFromPicos(Picos(usage, prices));
        clamped = cost > heldMicros;
        return Math.Max(0, clamped ? heldMicros : cost);
    }

    /// <summary>
    /// Each kind of input token at its own price (plain, read from the cache, written to it for five minutes or an hour; a
    /// write price not in the catalog is the input price) and the output, before the one rounding.
    /// </summary>
    private static Int128 Picos(Usage usage, ModelPrices prices)
    {
        var written = Math.Max(0, usage.CacheWriteTokens);
        var written1h = Math.Clamp(usage.CacheWrite1hTokens, 0, written);
        var plain = Math.Max(0, usage.InputTokens - usage.CachedInputTokens - written);
        return Micros.Picos(plain, prices.InputMicrosPerM)
            + Micros.Picos(usage.CachedInputTokens, prices.CachedInputMicrosPerM)
            + Micros.Picos(written - written1h, prices.CacheWriteMicrosPerM ?? prices.InputMicrosPerM)
            + Micros.Picos(written1h, prices.CacheWrite1hMicrosPerM ?? prices.InputMicrosPerM)
            + Micros.Picos(usage.OutputTokens, prices.OutputMicrosPerM);
    }
}
