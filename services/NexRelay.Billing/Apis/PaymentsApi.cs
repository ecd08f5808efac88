using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NexRelay.Billing.Payments;
using NexRelay.Contracts.Money;

namespace NexRelay.Billing.Apis;

/// <summary>
/// Card payments (cluster-internal; the edge calls them for <c>POST /api/v1/credits/checkout</c> and <c>POST /webhooks/stripe</c>).
/// Every refusal is a ProblemDetails with a <c>code</c> extension the edge turns into the caller's error.
/// </summary>
public static class PaymentsApi
{
    public static IEndpointRouteBuilder MapPaymentsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/internal").WithTags("Internal");
        group.MapPost("/checkouts", CreateCheckoutAsync).WithName("CreateCheckout");
        group.MapPost("/payments/stripe/events", StripeEventAsync).WithName("StripeEvent");
        return app;
    }

    public static async Task<Results<Created<CheckoutBody>, ValidationProblem, ProblemHttpResult>> CreateCheckoutAsync(HttpRequest request,
        IOptions<StripeOptions> options, StripeCheckouts checkouts, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.Enabled) return NotConfigured();
        var (body, errors) = await JsonBody.ReadAsync<CheckoutRequestBody>(request, cancellationToken);
        if (errors is not null) return TypedResults.ValidationProblem(errors, type: ProblemTypes.InvalidRequest);
        if (body!.WalletId is not { } walletId || body.KeyId is not { } keyId)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["wallet_id"] = ["Required: the key's wallet and key ids."] },
                type: ProblemTypes.InvalidRequest);
        if (body.AmountUsd is not { } amount || amount < o.MinAmountUsd || amount > o.MaxAmountUsd || decimal.Round(amount, 2) != amount)
            return Problem(400, "amount_out_of_range", $"amount_usd: a number of USD from {o.MinAmountUsd} to {o.MaxAmountUsd}, in whole cents.",
                ProblemTypes.InvalidRequest);
        Micros.TryParseUsd(amount, out var micros);
        var created = await checkouts.CreateAsync(walletId, keyId, micros, cancellationToken);
        return created is null
            ? Problem(502, "payment_provider_error", "The payment provider did not open a checkout; try again shortly.", ProblemTypes.ServiceUnavailable)
            : TypedResults.Created($"/internal/checkouts/{created.Id}",
                new CheckoutBody(created.Id, created.Url, created.SessionId, Micros.ToUsd(created.Amount), created.Currency));
    }

    /// <summary>The raw body is what Stripe signed: read as it came, never re-serialized.</summary>
    public static async Task<Results<Ok<WebhookBody>, ProblemHttpResult>> StripeEventAsync(HttpRequest request, IOptions<StripeOptions> options,
        StripeWebhooks webhooks, CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled) return NotConfigured();
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(cancellationToken);
        var result = await webhooks.HandleAsync(body, request.Headers["Stripe-Signature"].ToString(), cancellationToken);
        return result.Outcome switch
        {
            WebhookOutcome.Applied or WebhookOutcome.Ignored => TypedResults.Ok(new WebhookBody(true, result.Detail)),
            WebhookOutcome.BadSignature => Problem(400, "invalid_signature", result.Detail, ProblemTypes.InvalidRequest),
            WebhookOutcome.UnknownSession => Problem(400, "unknown_session", result.Detail, ProblemTypes.InvalidRequest),
            _ => Problem(400, "amount_mismatch", result.Detail, ProblemTypes.InvalidRequest),
        };
    }

    private static ProblemHttpResult NotConfigured() => Problem(503, "payments_not_configured",
        "Card payments are not configured on this gateway (NexRelay:Payments:Stripe).", ProblemTypes.ServiceUnavailable);

    private static ProblemHttpResult Problem(int status, string code, string detail, string type) => TypedResults.Problem(statusCode: status,
        title: code, detail: detail, type: type, extensions: new Dictionary<string, object?> { ["code"] = code });
}

public sealed record CheckoutRequestBody(Guid? WalletId, Guid? KeyId, decimal? AmountUsd);

public sealed record CheckoutBody(Guid Id, string Url, string SessionId, decimal AmountUsd, string Currency);

public sealed record WebhookBody(bool Received, string Outcome);
