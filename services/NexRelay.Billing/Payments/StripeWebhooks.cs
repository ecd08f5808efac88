using Microsoft.Extensions.Options;
using Stripe;
using Stripe.Checkout;

namespace NexRelay.Billing.Payments;

public enum WebhookOutcome { Applied, Ignored, BadSignature, UnknownSession, Mismatch }

public sealed record WebhookResult(WebhookOutcome Outcome, string Detail);

/// <summary>
/// Stripe's webhooks: the signature is checked first (Stripe.net's <see cref="EventUtility.ConstructEvent(string, string, string, long, bool)"/>:
/// HMAC-SHA256 of <c>{t}.{body}</c> with the endpoint secret, compared in constant time, <c>t</c> within the tolerance), then
/// the event is applied by the SQL functions, idempotent on Stripe's event id and on the session. The event's API version
/// is not required to match Stripe.net's: only a few long-stable fields are read.
/// </summary>
public sealed partial class StripeWebhooks(IOptions<StripeOptions> options, CheckoutStore store, ILogger<StripeWebhooks> logger)
{
    public async Task<WebhookResult> HandleAsync(string body, string? signature, CancellationToken ct)
    {
        Event stripeEvent;
        try
        {
            stripeEvent = EventUtility.ConstructEvent(body, signature ?? "", options.Value.WebhookSecret, options.Value.WebhookToleranceSeconds,
                throwOnApiVersionMismatch: false);
        }
        catch (Exception ex) when (ex is StripeException or Newtonsoft.Json.JsonException or ArgumentException)
        {
            LogBadSignature(logger, ex.Message);
            return new(WebhookOutcome.BadSignature, "The Stripe-Signature header does not verify (wrong secret, altered body or a timestamp outside the tolerance).");
        }

        switch (stripeEvent.Type)
        {
            case "checkout.session.completed" or "checkout.session.async_payment_succeeded" when stripeEvent.Data.Object is Session session:
                return await CompleteAsync(stripeEvent, session, ct);
            case "charge.refunded" when stripeEvent.Data.Object is Charge charge && !string.IsNullOrEmpty(charge.PaymentIntentId):
                return Debited(stripeEvent, await store.DebitAsync(stripeEvent.Id, stripeEvent.Type, charge.PaymentIntentId, "refund",
                    "stripe-refund:" + charge.Id, charge.AmountRefunded, cumulative: true, ct));
            case "charge.dispute.created" when stripeEvent.Data.Object is Dispute dispute && !string.IsNullOrEmpty(dispute.PaymentIntentId):
                return Debited(stripeEvent, await store.DebitAsync(stripeEvent.Id, stripeEvent.Type, dispute.PaymentIntentId, "dispute",
                    "stripe-dispute:" + dispute.Id, dispute.Amount, cumulative: false, ct));
            default:
                return new(WebhookOutcome.Ignored, $"{stripeEvent.Type}: not an event NexRelay acts on.");
        }
    }

    private async Task<WebhookResult> CompleteAsync(Event stripeEvent, Session session, CancellationToken ct)
    {
        var ours = session.Metadata?.ContainsKey(StripeCheckouts.CheckoutIdMetadata) == true;
        if (session.PaymentStatus != "paid")
            return new(WebhookOutcome.Ignored, $"payment_status {session.PaymentStatus}: credited when paid.");
        var result = await store.CompleteAsync(stripeEvent.Id, session.Id, session.AmountTotal ?? -1, session.Currency ?? "", session.PaymentIntentId, ct);
        switch (result.Status)
        {
            case "credited":
                LogCredited(logger, result.CheckoutId!.Value, result.WalletId!.Value, stripeEvent.Id);
                return new(WebhookOutcome.Applied, "credited");
            case "already_paid" or "duplicate_event":
                return new(WebhookOutcome.Applied, result.Status);
            case "mismatch":
                LogMismatch(logger, result.CheckoutId!.Value, stripeEvent.Id, session.AmountTotal ?? -1, session.Currency ?? "");
                return new(WebhookOutcome.Mismatch, "The session's amount or currency differ from the checkout NexRelay created; nothing credited.");
            default:
                // A session with NexRelay's metadata that NexRelay has no record of was not created here: refused. Other sessions of
                // the same Stripe account (other products) are none of NexRelay's business and are acknowledged.
                if (!ours) return new(WebhookOutcome.Ignored, "Not a NexRelay checkout.");
                LogUnknownSession(logger, stripeEvent.Id);
                return new(WebhookOutcome.UnknownSession, "NexRelay created no such checkout session; nothing credited.");
        }
    }

    private WebhookResult Debited(Event stripeEvent, DebitResult result)
    {
        if (result.Status == "unknown_payment") return new(WebhookOutcome.Ignored, "Not a NexRelay payment.");
        if (result.Status == "debited")
        {
            if (result.Shortfall > 0) LogShortfall(logger, stripeEvent.Type, stripeEvent.Id, result.Owed, result.Collected, result.Shortfall);
            else LogDebited(logger, stripeEvent.Type, stripeEvent.Id, result.Collected);
        }
        return new(WebhookOutcome.Applied, result.Status);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe webhook refused: {Reason}")]
    private static partial void LogBadSignature(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkout {CheckoutId} paid: wallet {WalletId} credited (event {EventId})")]
    private static partial void LogCredited(ILogger logger, Guid checkoutId, Guid walletId, string eventId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Checkout {CheckoutId}: event {EventId} reports {AmountMinor} {Currency}, not what was recorded; nothing credited")]
    private static partial void LogMismatch(ILogger logger, Guid checkoutId, string eventId, long amountMinor, string currency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe event {EventId} completes a checkout session NexRelay never created; nothing credited")]
    private static partial void LogUnknownSession(ILogger logger, string eventId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Type} {EventId}: {Collected} micro-USD debited")]
    private static partial void LogDebited(ILogger logger, string type, string eventId, long collected);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Type} {EventId}: owed {Owed} micro-USD, the wallet had {Collected}; shortfall {Shortfall} flagged for the operator")]
    private static partial void LogShortfall(ILogger logger, string type, string eventId, long owed, long collected, long shortfall);
}
