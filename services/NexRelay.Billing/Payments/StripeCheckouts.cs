using System.Globalization;
using Microsoft.Extensions.Options;
using Stripe;
using Stripe.Checkout;

namespace NexRelay.Billing.Payments;

public sealed record CreatedCheckout(Guid Id, string SessionId, string Url, long Amount, string Currency);

/// <summary>
/// Creates Stripe Checkout Sessions (Stripe.net) for checkouts recorded first in <see cref="CheckoutStore"/>: mode payment, one
/// line item of the amount in the configured currency, the NexRelay checkout id as client_reference_id and in the metadata
/// (with the wallet), and the checkout id as Stripe's idempotency key, so Stripe.net's retries never open a second session.
/// </summary>
public sealed partial class StripeCheckouts(IOptions<StripeOptions> options, CheckoutStore store, ILogger<StripeCheckouts> logger)
{
    public const string CheckoutIdMetadata = "nexrelay_checkout_id";
    public const string WalletIdMetadata = "nexrelay_wallet_id";

    private readonly Lazy<StripeClient> _client = new(() => new StripeClient(
        apiKey: options.Value.SecretKey, apiBase: string.IsNullOrEmpty(options.Value.ApiBase) ? null : options.Value.ApiBase.TrimEnd('/')));

    /// <summary>Null when Stripe refused or could not be reached (logged without the key); the recorded checkout stays 'creating'.</summary>
    public async Task<CreatedCheckout?> CreateAsync(Guid walletId, Guid keyId, long amountMicros, CancellationToken ct)
    {
        var o = options.Value;
        var id = Guid.CreateVersion7();
        var cents = amountMicros / 10_000;
        await store.RecordAsync(id, walletId, keyId, amountMicros, o.Currency, cents, ct);
        var create = new SessionCreateOptions
        {
            Mode = "payment",
            ClientReferenceId = id.ToString(),
            SuccessUrl = o.SuccessUrl,
            CancelUrl = o.CancelUrl,
            Metadata = new() { [CheckoutIdMetadata] = id.ToString(), [WalletIdMetadata] = walletId.ToString() },
            PaymentIntentData = new SessionPaymentIntentDataOptions
            {
                Metadata = new() { [CheckoutIdMetadata] = id.ToString(), [WalletIdMetadata] = walletId.ToString() },
            },
            LineItems =
            [
                new SessionLineItemOptions
                {
                    Quantity = 1,
                    PriceData = new SessionLineItemPriceDataOptions
                    {
                        Currency = o.Currency,
                        UnitAmount = cents,
                        ProductData = new SessionLineItemPriceDataProductDataOptions
                        {
                            Name = "NexRelay credit",
                            Description = $"{(amountMicros / 1_000_000m).ToString("0.00", CultureInfo.InvariantCulture)} USD for wallet {walletId}",
                        },
                    },
                },
            ],
        };
        try
        {
            var session = await new SessionService(_client.Value).CreateAsync(create, new RequestOptions { IdempotencyKey = "nexrelay-checkout-" + id }, ct);
            await store.OpenAsync(id, session.Id, ct);
            return new CreatedCheckout(id, session.Id, session.Url, amountMicros, o.Currency);
        }
        catch (StripeException ex)
        {
            LogStripeRefused(logger, id, ex.StripeError?.Type ?? "", ex.StripeError?.Code ?? "", (int)ex.HttpStatusCode);
            return null;
        }
        catch (HttpRequestException ex)
        {
            LogStripeRefused(logger, id, "unreachable", ex.Message, 0);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe did not create a Checkout Session for checkout {CheckoutId}: {Type} {Code} (status {Status})")]
    private static partial void LogStripeRefused(ILogger logger, Guid checkoutId, string type, string code, int status);
}
