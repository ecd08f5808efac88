using System.ComponentModel.DataAnnotations;

namespace NexRelay.Billing.Payments;

/// <summary>
/// Settings under <c>NexRelay:Payments:Stripe</c>. Card payments are off unless both <see cref="SecretKey"/> and
/// <see cref="WebhookSecret"/> are set; then the URLs are required. The two secrets come from configuration or a Kubernetes
/// Secret and are never logged (nothing logs this object, and Stripe.net is given the key only).
/// </summary>
public sealed class StripeOptions : IValidatableObject
{
    public const string Section = "NexRelay:Payments:Stripe";

    /// <summary>Stripe's secret API key (<c>sk_live_…</c>, <c>sk_test_…</c> or a restricted <c>rk_…</c> key that may create Checkout Sessions).</summary>
    public string? SecretKey { get; set; }

    /// <summary>The webhook endpoint's signing secret (<c>whsec_…</c>) from Stripe's dashboard or <c>stripe listen</c>.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Stripe's API base; only tests point it elsewhere (a local stub).</summary>
    public string? ApiBase { get; set; }

    /// <summary>Where Stripe sends the payer after paying; <c>{CHECKOUT_SESSION_ID}</c> is replaced by Stripe.</summary>
    public string? SuccessUrl { get; set; }

    /// <summary>Where Stripe sends the payer who cancels.</summary>
    public string? CancelUrl { get; set; }

    /// <summary>The currency charged; wallets hold USD, so only <c>usd</c> for now.</summary>
    public string Currency { get; set; } = "usd";

    [Range(0.5, 1_000_000)]
    public decimal MinAmountUsd { get; set; } = 5m;

    [Range(0.5, 1_000_000)]
    public decimal MaxAmountUsd { get; set; } = 1000m;

    /// <summary>How old a webhook's signed timestamp may be (Stripe's libraries default to 300 s).</summary>
    [Range(1, 3600)]
    public int WebhookToleranceSeconds { get; set; } = 300;

    public bool Enabled => !string.IsNullOrEmpty(SecretKey) && !string.IsNullOrEmpty(WebhookSecret);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrEmpty(SecretKey) != string.IsNullOrEmpty(WebhookSecret))
            yield return new($"Set both {Section}:SecretKey and {Section}:WebhookSecret to take card payments, or neither.");
        if (!Enabled) yield break;
        foreach (var (name, url) in new[] { ("SuccessUrl", SuccessUrl), ("CancelUrl", CancelUrl) })
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
                yield return new($"{Section}:{name} must be an absolute http(s) URL when card payments are on.");
        }
        if (!string.IsNullOrEmpty(ApiBase) && !Uri.TryCreate(ApiBase, UriKind.Absolute, out _))
            yield return new($"{Section}:ApiBase must be an absolute URL.");
        if (Currency != "usd") yield return new($"{Section}:Currency must be usd: wallets hold USD.");
        if (MinAmountUsd > MaxAmountUsd || decimal.Round(MinAmountUsd, 2) != MinAmountUsd || decimal.Round(MaxAmountUsd, 2) != MaxAmountUsd)
            yield return new($"{Section}:MinAmountUsd must be at most MaxAmountUsd, both whole cents.");
    }
}
