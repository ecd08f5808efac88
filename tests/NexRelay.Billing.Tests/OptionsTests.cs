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

    private static WebApplication Build(string? adminToken)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Nothing is contacted: options are validated before anything connects.
            ["ConnectionStrings:billingdb"] = "Host=127.0.0.1;Port=1;Database=none;Username=none;Password=none",
            ["ConnectionStrings:messaging"] = "amqp://guest:guest@127.0.0.1:1/",
            ["NexRelay:InternalToken"] = BillingFixture.InternalToken,
            ["NexRelay:AdminToken"] = adminToken,
        });
        builder.AddServiceDefaults();
        builder.AddBillingServices();
        return builder.Build();
    }
}
