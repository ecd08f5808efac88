using NexRelay.Contracts.Money;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Charging;

/// <summary>
/// The one price of a request's usage, for its cost header and its settlement alike (both through <see cref="ChargeRule"/>):
/// the tokens at the model's prices, rounded once (<see cref="Micros.Cost"/>), and never more than was held for the request
/// nor below zero. The lease's books and billing's capture take this figure as it is.
/// </summary>
internal static class UsagePrice
{
    /// <summary>The cost in micro-USD; <paramref name="clamped"/> when the tokens priced above <paramref name="heldMicros"/>.</summary>
    public static long Of(Usage usage, ModelPrices prices, long heldMicros, out bool clamped)
    {
        var cost = Micros.Cost(usage.InputTokens, usage.CachedInputTokens, usage.OutputTokens,
            prices.InputMicrosPerM, prices.CachedInputMicrosPerM, prices.OutputMicrosPerM);
        clamped = cost > heldMicros;
        return Math.Max(0, clamped ? heldMicros : cost);
    }
}
