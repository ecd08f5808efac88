using NexRelay.Edge.Catalog;
using NexRelay.Edge.Relay;
using NexRelay.Edge.Tokens;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Charging;

/// <summary>What a request was priced against when its hold was placed: what <see cref="RequestCharger"/> needs to charge it.</summary>
internal sealed record RequestPricing(ChatRequest Request, CatalogModel Model, int MaxOutputTokens);

/// <summary>
/// Charges a finished (or abandoned, or failed) request by <see cref="ChargeRule"/> from its <see cref="UpstreamMeter"/>, and
/// writes the result on its record. Runs once per request, whatever way the request ended (RelayHandler's finally), and for
/// the cost header of a non-streamed answer (same facts, same answer).
/// </summary>
internal sealed class RequestCharger(TokenEstimator tokens)
{
    public void Apply(RelayRecord record)
    {
        if (record.Pricing is not { } pricing) return;
        var meter = record.Meter;
        var final = meter.Complete && meter.Usage is not null;
        var facts = new ChargeFacts
        {
            HandedOver = meter.HandedOver,
            Refused = meter.Refused,
            Complete = meter.Complete,
            Reported = meter.Usage,
            // Counting text costs time: only when the upstream's figures are not final.
            RelayedOutputTokens = final ? 0 : Math.Max(tokens.Count(meter.Output.ToString()), meter.ProducedOutput ? 1 : 0),
            HiddenReasoningTokens = final ? 0 : HiddenReasoning(meter, pricing.Model),
            CountInput = () => tokens.CountInput(TextExtraction.EnumerateInputText(pricing.Request), pricing.Request.Messages.Count + 1,
                TextExtraction.CountImages(pricing.Request)),
            MaxOutputTokens = pricing.MaxOutputTokens,
            Prices = pricing.Model.Prices,
            HeldMicros = record.Reservation.HeldMicros,
        };
        var charge = ChargeRule.Apply(facts);
        record.Usage = charge.Usage;
        record.CostMicros = charge.CostMicros;
        record.UsageEstimated = charge.Estimated;
        record.UsageClamped = charge.Clamped;
    }

    /// <summary>
    /// Reasoning models think before they write, and bill for it: the upstream's silence after the hand-over, at the model's
    /// configured rate (<see cref="CatalogModel.HiddenReasoningTokensPerSecond"/>; 0 for models that do not reason unseen).
    /// </summary>
    private static long HiddenReasoning(UpstreamMeter meter, CatalogModel model) =>
        model.HiddenReasoningTokensPerSecond <= 0 ? 0
            : (long)(meter.SilenceBeforeOutput().TotalSeconds * model.HiddenReasoningTokensPerSecond);
}
