using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NexRelay.Billing.Tests.Payments;

/// <summary>Billing with card payments on (Stripe's API never called here: the checkouts are recorded directly).</summary>
public sealed class StripeBillingFixture : BillingFixture
{
    public const string WebhookSecret = "whsec_billing_test_0123456789abcdef";

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["NexRelay:Payments:Stripe:SecretKey"] = "sk_test_billing_0123456789",
        ["NexRelay:Payments:Stripe:WebhookSecret"] = WebhookSecret,
        ["NexRelay:Payments:Stripe:ApiBase"] = "http://127.0.0.1:9",
        ["NexRelay:Payments:Stripe:SuccessUrl"] = "https://example.com/paid",
        ["NexRelay:Payments:Stripe:CancelUrl"] = "https://example.com/cancelled",
    };
}

/// <summary>
/// <c>complete_checkout</c> and <c>debit_payment</c> (Migrations/Functions) through <c>/internal/payments/stripe/events</c>
/// on the real PostgreSQL, with signed events; the money invariants (wallet = its ledger, available ≥ 0) after each test.
/// </summary>
public sealed class StripeEventTests(StripeBillingFixture fixture) : IClassFixture<StripeBillingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task Concurrent_deliveries_of_paid_sessions_credit_once_and_refused_ones_write_nothing()
    {
        var wallet = await fixture.CreateWalletAsync();
        var (checkout, session) = await RecordCheckoutAsync(wallet, 1500);
        var completed = Completed(session, checkout, 1500);
        var statuses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => DeliverAsync(i % 2 == 0 ? completed : Completed(session, checkout, 1500)))));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s.Status));
        Assert.Equal((15_000_000L, 0L), await fixture.WalletAsync(wallet));

        var (other, otherSession) = await RecordCheckoutAsync(wallet, 1000);
        Assert.Equal("amount_mismatch", (await DeliverAsync(Completed(otherSession, other, 1001))).Code);
        Assert.Equal("amount_mismatch", (await DeliverAsync(Completed(otherSession, other, 1000, "eur"))).Code);
        Assert.Equal("unknown_session", (await DeliverAsync(Completed("cs_test_nobody", other, 1000))).Code);
        Assert.Equal("invalid_signature", (await DeliverAsync(Completed(otherSession, other, 1000), secret: "whsec_other")).Code);
        Assert.Equal("invalid_signature", (await DeliverAsync(Completed(otherSession, other, 1000), age: TimeSpan.FromSeconds(301))).Code);
        Assert.Equal((15_000_000L, 0L), await fixture.WalletAsync(wallet));
        Assert.Equal("open", await fixture.ScalarAsync<string>("SELECT state FROM checkouts WHERE id = $1", other));
    }

    [Fact]
    public async Task A_dispute_takes_only_what_is_available_beside_a_hold_and_flags_the_rest()
    {
        var wallet = await fixture.CreateWalletAsync();
        var (checkout, session) = await RecordCheckoutAsync(wallet, 2000);
        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(Completed(session, checkout, 2000))).Status);
        Assert.Equal(200, (await fixture.HoldAsync(BillingFixture.Hold(wallet, 8_000_000))).Status);

        var dispute = Event("charge.dispute.created", new JsonObject
        {
            ["id"] = "dp_" + checkout.ToString("N"), ["object"] = "dispute", ["amount"] = 2000, ["currency"] = "usd",
            ["charge"] = "ch_1", ["payment_intent"] = "pi_" + checkout.ToString("N"), ["status"] = "needs_response",
        });
        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(dispute)).Status);
        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(dispute)).Status);

        // 12 of the 20 USD were available (8 held for a request in flight): taken; 8 flagged.
        Assert.Equal((8_000_000L, 8_000_000L), await fixture.WalletAsync(wallet));
        Assert.Equal(8_000_000L, await fixture.ScalarAsync<long>("SELECT shortfall FROM checkouts WHERE id = $1", checkout));
        Assert.Equal(1L, await fixture.ScalarAsync<long>(
            "SELECT count(*) FROM ledger_entries WHERE wallet_id = $1 AND kind = 'adjustment' AND flags = '{dispute,shortfall}' AND amount = 12000000", wallet));
    }

    private async Task<(Guid Checkout, string Session)> RecordCheckoutAsync(Guid wallet, long cents)
    {
        var checkout = Guid.NewGuid();
        var session = "cs_test_" + checkout.ToString("N");
        await fixture.ExecuteAsync(string.Create(CultureInfo.InvariantCulture,
            $"INSERT INTO checkouts (id, wallet_id, key_id, amount, currency, amount_minor, session_id, state) VALUES ('{checkout}', '{wallet}', '{Guid.NewGuid()}', {cents * 10_000}, 'usd', {cents}, '{session}', 'open')"));
        return (checkout, session);
    }

    private static string Completed(string session, Guid checkout, long cents, string currency = "usd") => Event("checkout.session.completed", new JsonObject
    {
        ["id"] = session, ["object"] = "checkout.session", ["payment_status"] = "paid", ["amount_total"] = cents, ["currency"] = currency,
        ["payment_intent"] = "pi_" + checkout.ToString("N"), ["client_reference_id"] = checkout.ToString(),
        ["metadata"] = new JsonObject { ["nexrelay_checkout_id"] = checkout.ToString() },
    });

    private static string Event(string type, JsonObject data) => new JsonObject
    {
        ["id"] = "evt_" + Guid.NewGuid().ToString("N"), ["object"] = "event", ["api_version"] = "2025-09-30.clover", ["type"] = type,
        ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["livemode"] = false, ["data"] = new JsonObject { ["object"] = data },
    }.ToJsonString();

    private async Task<(HttpStatusCode Status, string? Code)> DeliverAsync(string body, string secret = StripeBillingFixture.WebhookSecret, TimeSpan age = default)
    {
        var t = (DateTimeOffset.UtcNow - age).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var v1 = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}")));
        using var client = fixture.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/internal/payments/stripe/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", $"t={t},v1={v1}");
        using var response = await client.SendAsync(request);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, json.TryGetProperty("code", out var code) ? code.GetString() : null);
    }
}
