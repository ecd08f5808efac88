using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace NexRelay.Billing.Tests.Payments;

/// <summary>Without NexRelay:Payments:Stripe secrets, card payments are off: both internal routes answer 503 payments_not_configured.</summary>
public sealed class PaymentsNotConfiguredTests(BillingFixture fixture) : IClassFixture<BillingFixture>
{
    [Fact]
    public async Task Checkout_and_webhook_answer_payments_not_configured_and_record_nothing()
    {
        var wallet = await fixture.CreateWalletAsync();
        using var checkout = await fixture.Client.PostAsJsonAsync("/internal/checkouts", new { wallet_id = wallet, key_id = Guid.NewGuid(), amount_usd = 20 });
        using var webhook = await fixture.Client.PostAsync("/internal/payments/stripe/events", new StringContent("{}"));
        foreach (var response in new[] { checkout, webhook })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("payments_not_configured", body.GetProperty("code").GetString());
        }
        await using var db = fixture.OpenDb();
        await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM checkouts", db);
        Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
    }
}
