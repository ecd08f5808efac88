using NexRelay.Edge.Catalog;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Charging;

/// <summary>What the charge rule is given about one request (gathered by <see cref="RequestCharger"/>).</summary>
internal readonly record struct ChargeFacts
{
    /// <summary>An upstream was handed the whole body (<see cref="UpstreamMeter.HandedOver"/>).</summary>
    public bool HandedOver { get; init; }
    /// <summary>The upstream refused it: an error status, or an error event before any output.</summary>
    public bool Refused { get; init; }
    /// <summary>The upstream finished its answer, so <see cref="Reported"/> (when present) is final.</summary>
    public bool Complete { get; init; }
    /// <summary>The last usage the upstream reported, final or partial.</summary>
    public Usage? Reported { get; init; }
    /// <summary>Tokens of what was relayed to the client (text, reasoning, tool calls).</summary>
    public long RelayedOutputTokens { get; init; }
    /// <summary>Estimated hidden reasoning: the upstream's silence before its first output × the model's reasoning rate.</summary>
    public long HiddenReasoningTokens { get; init; }
    /// <summary>The tokenizer's count of the request's input, asked only when the upstream reported none.</summary>
    public required Func<long> CountInput { get; init; }
    public int MaxOutputTokens { get; init; }
    public required ModelPrices Prices { get; init; }
    /// <summary>The amount held for the request: the charge never exceeds it.</summary>
    public long HeldMicros { get; init; }
}

/// <summary>The charge of one request: the usage it is billed for and its cost in micro-USD.</summary>
internal sealed record Charge(Usage Usage, long CostMicros, bool Estimated, bool Clamped)
{
    public static readonly Charge Free = new(new Usage(), 0, false, false);
}

/// <summary>
/// The one charging rule (services/NexRelay.Billing/README.md, "Charging rules"). A request whose body never reached an
/// upstream, or that the upstream refused, is free. Any other is charged: from the upstream's final usage when it finished;
/// else estimated (flagged) as the reported input, or the tokenizer's count when none was reported, plus the larger of the
/// reported output and everything relayed so far with the hidden reasoning the upstream's silence suggests. Impossible
/// figures (negative, more output than was allowed, more cached than input) are clamped and flagged; the cost is the usage's
/// <see cref="UsagePrice"/>, which never exceeds the hold.
/// </summary>
internal static class ChargeRule
{
    public static Charge Apply(in ChargeFacts facts)
    {
        if (!facts.HandedOver || facts.Refused) return Charge.Free;

        Usage usage;
        var estimated = false;
        var clamped = false;
        if (facts.Complete && facts.Reported is { } final)
        {
            usage = final;
        }
        else
        {
            var reported = facts.Reported;
            var relayed = Math.Min(facts.MaxOutputTokens, Math.Max(0, facts.RelayedOutputTokens) + Math.Max(0, facts.HiddenReasoningTokens));
            usage = new Usage
            {
                InputTokens = reported is { InputTokens: > 0 } ? reported.InputTokens : facts.CountInput(),
                CachedInputTokens = reported?.CachedInputTokens ?? 0,
                CacheWriteTokens = reported?.CacheWriteTokens ?? 0,
                CacheWrite1hTokens = reported?.CacheWrite1hTokens ?? 0,
                OutputTokens = Math.Max(reported?.OutputTokens ?? 0, relayed),
                ReasoningTokens = Math.Max(reported?.ReasoningTokens ?? 0, Math.Min(facts.MaxOutputTokens, Math.Max(0, facts.HiddenReasoningTokens))),
            };
            estimated = true;
        }

        if (usage.InputTokens < 0 || usage.OutputTokens < 0 || usage.CachedInputTokens < 0 || usage.ReasoningTokens < 0
            || usage.OutputTokens > facts.MaxOutputTokens || usage.ReasoningTokens > facts.MaxOutputTokens
            || usage.CachedInputTokens > usage.InputTokens || usage.CacheWriteTokens < 0 || usage.CacheWrite1hTokens < 0
            || usage.CacheWrite1hTokens > usage.CacheWriteTokens || (Int128)usage.CachedInputTokens + usage.CacheWriteTokens > usage.InputTokens)
        {
            var input = Math.Max(0, usage.InputTokens);
            var cached = Math.Clamp(usage.CachedInputTokens, 0, input);
            var written = Math.Clamp(usage.CacheWriteTokens, 0, input - cached);
            usage = new Usage
            {
                InputTokens = input,
                CachedInputTokens = cached,
                CacheWriteTokens = written,
                CacheWrite1hTokens = Math.Clamp(usage.CacheWrite1hTokens, 0, written),
                OutputTokens = Math.Clamp(usage.OutputTokens, 0, facts.MaxOutputTokens),
                ReasoningTokens = Math.Clamp(usage.ReasoningTokens, 0, facts.MaxOutputTokens),
            };
            clamped = true;
        }

        var cost = UsagePrice.Of(usage, facts.Prices, facts.HeldMicros, out var overHold);
        return new Charge(usage, cost, estimated, clamped || overHold);
    }
}
