using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using NexRelay.Billing.Extensions;

namespace NexRelay.Billing.Tests;

/// <summary>Billing's admin token has the minimum every NexRelay service shares (24 characters), checked at start.</summary>
public sealed class OptionsTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("8-chars!")]
    [InlineData("23-characters-too-short")]
    public void A_short_admin_token_stops_billing_at_start_naming_the_setting(string? token)
    {
        using var app = Build(token);
        var error = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("NexRelay:AdminToken", error.Message);
        Assert.Contains("24 characters", error.Message);
    }

    [Fact]
    public void An_admin_token_of_the_shared_minimum_length_is_accepted()
    {
        using var app = Build("24-characters-just-right");
        Assert.Equal("24-characters-just-right", app.Services.GetRequiredService<IOptions<AdminOptions>>().Value.AdminToken);
    }

    [Fact]
    public void Without_the_key_hash_secret_billing_stops_at_start_naming_it()
    {
        using var app = Build("24-characters-just-right", keyHashSecret: null);
        var error = Assert.ThrowsAny<Exception>(() => app.Services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("NexRelay:KeyHashSecret", error.Message);
    }

    [Fact]
    public void Half_configured_card_payments_stop_billing_at_start_naming_the_settings()
    {
        using var app = Build("24-characters-just-right", extra: new() { ["NexRelay:Payments:Stripe:SecretKey"] = "sk_test_x" });
        var error = Assert.ThrowsAny<Exception>(() => app.Services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("NexRelay:Payments:Stripe:WebhookSecret", error.Message);
        Assert.DoesNotContain("sk_test_x", error.Message);
    }

    private static WebApplication Build(string? adminToken, string? keyHashSecret = BillingFixture.KeyHashSecret,
        Dictionary<string, string?>? extra = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Nothing is contacted: options are validated before anything connects.
            ["ConnectionStrings:billingdb"] = "Host=127.0.0.1;Port=1;Database=none;Username=none;Password=none",
            ["ConnectionStrings:messaging"] = "amqp://guest:guest@127.0.0.1:1/",
            ["NexRelay:InternalToken"] = BillingFixture.InternalToken,
            ["NexRelay:AdminToken"] = adminToken,
            ["NexRelay:KeyHashSecret"] = keyHashSecret,
        });
        foreach (var (key, value) in extra ?? []) builder.Configuration[key] = value;
        builder.AddServiceDefaults();
        builder.AddBillingServices();
        return builder.Build();
    }
}
