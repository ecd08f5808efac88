using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using NexRelay.Edge.Credits;
using NexRelay.Edge.Docs;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Relay;
using NexRelay.Edge.Translation;
using NexRelay.ServiceDefaults;

namespace NexRelay.Edge.Apis;

/// <summary>
/// How a key holder funds the key's wallet: <c>POST /api/v1/credits/redeem</c> (a redemption code) and
/// <c>POST /api/v1/credits/checkout</c> (a card, through a Stripe Checkout Session), and Stripe's <c>POST /webhooks/stripe</c>.
/// Billing owns the codes, the checkouts, the Stripe secrets and the money; the edge admits the key, limits failed redemptions
/// (<see cref="RedemptionLimiter"/>), passes Stripe's raw body on, and answers in OpenAI's envelope.
/// </summary>
internal static partial class CreditsApi
{
    private const int MaxBodyBytes = 4096;

    /// <summary>Stripe's events are a few KB; a dispute with evidence stays far below this.</summary>
    private const int MaxWebhookBytes = 512 * 1024;

    public static IEndpointRouteBuilder MapCreditsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/credits").WithTags("Self-service").Speaks(ClientFormat.OpenAIChat).RequireKey();
        group.MapPost("/redeem", RedeemAsync).WithName("RedeemCode").WithApiDoc(PublicApiDocs.RedeemCode);
        group.MapPost("/checkout", CheckoutAsync).WithName("CreateCheckout").WithApiDoc(PublicApiDocs.CreateCheckout);
        // Stripe calls this with no key: the signature over the raw body (checked by billing, which holds the secrets) is the
        // credential. Stripe's endpoint, not the clients' API: left out of /openapi.json (README "Card payments" documents it).
        app.MapPost("/webhooks/stripe", StripeWebhookAsync).Speaks(ClientFormat.OpenAIChat).WithName("StripeWebhook").ExcludeFromDescription();
        return app;
    }

    public static async Task<Results<Ok<Data<RedeemedAnswer>>, EdgeErrorResult>> RedeemAsync(HttpContext http, RedemptionLimiter limiter,
        IHttpClientFactory clients, ILogger<RedemptionLimiter> logger)
    {
        var key = http.AdmittedKey();
        var ct = http.RequestAborted;
        if (await ReadAsync<RedeemRequest>(http) is not { Code: { Length: > 0 } code })
            return Error(EdgeError.BadRequest("Send {\"code\": \"NXR-…\"}: the redemption code to add to this key's wallet.", "code"));

        var address = http.Connection.RemoteIpAddress;
        if (await limiter.TryChargeAsync(key.Id, address, ct) is { } retryAfter)
        {
            LogRedemptionLimited(logger, key.Id, address?.ToString());
            return Error(new EdgeError(ErrorKind.RateLimited,
                $"Too many failed redemptions for this key or address. Retry after {EdgeError.RetrySeconds(retryAfter)} s.",
                "too_many_failed_redemptions") { RetryAfter = retryAfter });
        }

        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(ResourceNames.Billing).PostAsJsonAsync("/internal/redemptions",
                new { code, wallet_id = key.WalletId, key_id = key.Id }, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or Polly.ExecutionRejectedException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            await limiter.RefundAsync(key.Id, address);
            LogBillingFailed(logger, key.Id, ex.GetType().Name);
            return Error(EdgeError.BillingUnavailable());
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode && await ReadJsonAsync<RedeemedAnswer>(response, ct) is { } redeemed)
            {
                await limiter.RefundAsync(key.Id, address);
                LogRedeemed(logger, key.Id, redeemed.BatchId, redeemed.AmountUsd);
                return TypedResults.Ok(new Data<RedeemedAnswer>(redeemed));
            }
            if (status is 404 or 409 && await ReadJsonAsync<JsonObject>(response, ct) is { } problem
                && problem["code"]?.GetValue<string>() is { } reason && reason.StartsWith("code_", StringComparison.Ordinal))
            {
                // A failed attempt: it stays charged. The code itself is never logged, only why it failed.
                LogRedemptionFailed(logger, key.Id, address?.ToString(), reason);
                return Error(Refusal(reason));
            }
            await limiter.RefundAsync(key.Id, address);
            LogBillingFailed(logger, key.Id, $"status {status}");
            return Error(EdgeError.BillingUnavailable());
        }
    }

    public static async Task<Results<Ok<Data<CheckoutAnswer>>, EdgeErrorResult>> CheckoutAsync(HttpContext http, IHttpClientFactory clients,
        ILogger<RedemptionLimiter> logger)
    {
        var key = http.AdmittedKey();
        var ct = http.RequestAborted;
        if (await ReadAsync<CheckoutRequest>(http) is not { AmountUsd: { } amount })
            return Error(EdgeError.BadRequest("Send {\"amount_usd\": 20}: how many USD to add to this key's wallet by card.", "amount_usd"));
        try
        {
            using var response = await clients.CreateClient(ResourceNames.Billing).PostAsJsonAsync("/internal/checkouts",
                new { wallet_id = key.WalletId, key_id = key.Id, amount_usd = amount }, Json, ct);
            if (response.IsSuccessStatusCode && await ReadJsonAsync<CheckoutAnswer>(response, ct) is { } created)
                return TypedResults.Ok(new Data<CheckoutAnswer>(created));
            var problem = await ReadJsonAsync<JsonObject>(response, ct);
            var detail = problem?["detail"]?.GetValue<string>() ?? "";
            switch (problem?["code"]?.GetValue<string>())
            {
                case "payments_not_configured": return Error(PaymentsNotConfigured());
                case "amount_out_of_range": return Error(EdgeError.BadRequest(detail, "amount_usd", "amount_out_of_range"));
                case "payment_provider_error":
                    return Error(new EdgeError(ErrorKind.UpstreamError, "The payment provider did not open a checkout; try again shortly.", "payment_provider_error"));
            }
            LogBillingFailed(logger, key.Id, $"checkout status {(int)response.StatusCode}");
            return Error(EdgeError.BillingUnavailable());
        }
        catch (Exception ex) when (ex is HttpRequestException or Polly.ExecutionRejectedException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            LogBillingFailed(logger, key.Id, ex.GetType().Name);
            return Error(EdgeError.BillingUnavailable());
        }
    }

    /// <summary>
    /// Stripe's events, passed to billing byte for byte with their <c>Stripe-Signature</c> (the signature covers the raw body).
    /// 2xx tells Stripe the event is taken (applied, a repeat, or not NexRelay's); a 400 (bad signature, an unknown session, a
    /// mismatched amount) or a 503 makes Stripe retry it later, which is what a transient failure needs.
    /// </summary>
    public static async Task<Results<Ok<WebhookReceived>, EdgeErrorResult>> StripeWebhookAsync(HttpContext http, IHttpClientFactory clients,
        ILogger<RedemptionLimiter> logger)
    {
        var ct = http.RequestAborted;
        if (http.Request.ContentLength > MaxWebhookBytes) return Error(new EdgeError(ErrorKind.TooLarge, "The event is too large.", "body_too_large"));
        using var body = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await http.Request.Body.ReadAsync(buffer, ct)) > 0)
        {
            if (body.Length + read > MaxWebhookBytes) return Error(new EdgeError(ErrorKind.TooLarge, "The event is too large.", "body_too_large"));
            body.Write(buffer, 0, read);
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, "/internal/payments/stripe/events") { Content = new ByteArrayContent(body.ToArray()) };
        request.Content.Headers.ContentType = new("application/json");
        if (http.Request.Headers["Stripe-Signature"].ToString() is { Length: > 0 } signature)
            request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        try
        {
            using var response = await clients.CreateClient(ResourceNames.Billing).SendAsync(request, ct);
            if (response.IsSuccessStatusCode) return TypedResults.Ok(new WebhookReceived(true));
            var problem = await ReadJsonAsync<JsonObject>(response, ct);
            var detail = problem?["detail"]?.GetValue<string>() ?? "";
            switch (problem?["code"]?.GetValue<string>())
            {
                case "payments_not_configured": return Error(PaymentsNotConfigured());
                case { } code when (int)response.StatusCode == 400: return Error(EdgeError.BadRequest(detail, null, code));
            }
            LogBillingFailed(logger, Guid.Empty, $"webhook status {(int)response.StatusCode}");
            return Error(EdgeError.BillingUnavailable());
        }
        catch (Exception ex) when (ex is HttpRequestException or Polly.ExecutionRejectedException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            LogBillingFailed(logger, Guid.Empty, ex.GetType().Name);
            return Error(EdgeError.BillingUnavailable());
        }
    }

    /// <summary>
    /// 503: the gateway is able but its operator has not set payments up; the same request works once they do. Not a 4xx, which
    /// would tell the caller their request was wrong.
    /// </summary>
    private static EdgeError PaymentsNotConfigured() =>
        new(ErrorKind.Unavailable, "Card payments are not configured on this gateway; ask its operator, or redeem a code.", "payments_not_configured");

    /// <summary>Billing's reason, in words a key holder can act on. Nothing was credited and the code is as it was.</summary>
    private static EdgeError Refusal(string reason) => reason switch
    {
        "code_already_redeemed" => new(ErrorKind.InvalidRequest, "This code was redeemed already.", reason, "code", 409),
        "code_voided" => new(ErrorKind.InvalidRequest, "This code was voided by the operator.", reason, "code", 409),
        "code_expired" => new(ErrorKind.InvalidRequest, "This code has expired.", reason, "code", 409),
        _ => new(ErrorKind.NotFound, "No such redemption code. Check it and try again.", "code_not_found", "code"),
    };

    internal static EdgeErrorResult Error(EdgeError error) => new(error);

    /// <summary>A small JSON body, or null when it is absent, too large or not the expected object.</summary>
    internal static async Task<T?> ReadAsync<T>(HttpContext http) where T : class
    {
        if (http.Request.ContentLength > MaxBodyBytes) return null;
        try
        {
            using var body = new MemoryStream();
            var buffer = new byte[1024];
            int read;
            while ((read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
            {
                if (body.Length + read > MaxBodyBytes) return null;
                body.Write(buffer, 0, read);
            }
            return body.Length == 0 ? null : JsonSerializer.Deserialize<T>(body.ToArray(), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static async Task<T?> ReadJsonAsync<T>(HttpResponseMessage response, CancellationToken ct) where T : class
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, ct);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    [LoggerMessage(Level = LogLevel.Information, Message = "Key {KeyId} redeemed a code of batch {BatchId} for {AmountUsd} USD")]
    private static partial void LogRedeemed(ILogger logger, Guid keyId, Guid batchId, decimal amountUsd);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed redemption by key {KeyId} from {Address}: {Reason}")]
    private static partial void LogRedemptionFailed(ILogger logger, Guid keyId, string? address, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redemption refused for key {KeyId} from {Address}: too many failed redemptions")]
    private static partial void LogRedemptionLimited(ILogger logger, Guid keyId, string? address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redemption for key {KeyId} not answered by billing: {Reason}")]
    private static partial void LogBillingFailed(ILogger logger, Guid keyId, string reason);
}

internal sealed record RedeemRequest(string? Code);

internal sealed record CheckoutRequest(decimal? AmountUsd);

/// <summary><c>POST /api/v1/credits/checkout</c>: the Stripe Checkout page to send the payer to.</summary>
internal sealed record CheckoutAnswer(Guid Id, string Url, string SessionId, decimal AmountUsd, string Currency);

internal sealed record WebhookReceived(bool Received);

/// <summary><c>POST /api/v1/credits/redeem</c>: what was added, from which batch, and the wallet's balance after it.</summary>
internal sealed record RedeemedAnswer(decimal AmountUsd, Guid BatchId, long LedgerEntryId, decimal BalanceUsd);
