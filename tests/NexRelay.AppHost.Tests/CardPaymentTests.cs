using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using static NexRelay.AppHost.Tests.RedemptionCodeTests;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// Card payments through the whole cluster, without Stripe's servers: Checkout Sessions are created against a local stub of
/// Stripe's API (<see cref="StripeStub"/>), and Stripe's webhooks are built and signed here exactly as Stripe signs them
/// (<c>Stripe-Signature: t=…,v1=HMAC-SHA256(endpoint secret, "{t}.{raw body}")</c>) and posted to the edge's /webhooks/stripe.
/// </summary>
[Collection(FundingCollection.Name)]
public sealed class CardPaymentTests(FundingClusterFixture cluster)
{
    [Fact]
    public async Task Checkout_creates_a_Stripe_session_for_the_amount_in_the_configured_currency_naming_wallet_and_checkout()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 0);
        var checkout = await CheckoutAsync(tenant, 20m);

        var sent = cluster.Stripe.SessionRequestFor(checkout.Id);
        Assert.Equal("POST", sent.Method);
        Assert.Equal("Bearer " + FundingClusterFixture.StripeSecretKey, sent.Authorization);
        Assert.False(string.IsNullOrEmpty(sent.IdempotencyKey));
        Assert.Equal("payment", sent.Form["mode"]);
        Assert.Equal("1", sent.Form["line_items[0][quantity]"]);
        Assert.Equal("usd", sent.Form["line_items[0][price_data][currency]"]);
        Assert.Equal("2000", sent.Form["line_items[0][price_data][unit_amount]"]);
        Assert.Equal(checkout.Id, sent.Form["metadata[nexrelay_checkout_id]"]);
        Assert.Equal(tenant.WalletId.ToString(), sent.Form["metadata[nexrelay_wallet_id]"]);
        Assert.Equal(FundingClusterFixture.SuccessUrl, sent.Form["success_url"]);
        Assert.Equal(FundingClusterFixture.CancelUrl, sent.Form["cancel_url"]);
        Assert.Equal("https://checkout.stripe.com/c/pay/" + checkout.SessionId, checkout.Url);

        // Nothing is credited until Stripe says it is paid.
        Assert.Equal(0m, (await EdgeCalls.CreditsAsync(cluster.Edge, tenant.Key))["balance_usd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Checkout_refuses_amounts_outside_the_configured_bounds_without_calling_Stripe()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 0);
        var before = cluster.Stripe.Requests.Count;
        foreach (var amount in new[] { "4.99", "1000.01", "10.001", "-5" })
        {
            using var response = await EdgeCalls.PostAsync(cluster.Edge, tenant.Key, "/api/v1/credits/checkout", $$"""{"amount_usd": {{amount}}}""");
            await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "amount_out_of_range");
        }
        using (var missing = await EdgeCalls.PostAsync(cluster.Edge, tenant.Key, "/api/v1/credits/checkout", "{}"))
            await AssertRefusedAsync(missing, HttpStatusCode.BadRequest, "invalid_request");
        using (var noKey = await cluster.Edge.PostAsJsonAsync("/api/v1/credits/checkout", new { amount_usd = 20 }))
            Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Equal(before, cluster.Stripe.Requests.Count);
    }

    [Fact]
    public async Task A_paid_session_credits_the_wallet_once_however_often_Stripe_delivers_it()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 0);
        var checkout = await CheckoutAsync(tenant, 25m);
        var completed = SessionCompleted(checkout, amountMinor: 2500);

        for (var i = 0; i < 10; i++)
        {
            using var response = await DeliverAsync(completed);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"delivery {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        // Another event for the same session (Stripe's checkout.session.async_payment_succeeded, say): still once.
        using (var other = await DeliverAsync(SessionCompleted(checkout, amountMinor: 2500)))
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);

        Assert.Equal(25m, (await EdgeCalls.CreditsAsync(cluster.Edge, tenant.Key))["balance_usd"]!.GetValue<decimal>());
        var entry = Assert.Single(await LedgerAsync(tenant.WalletId));
        Assert.Equal("credit", entry["kind"]!.GetValue<string>());
        Assert.Equal(25m, entry["amount_usd"]!.GetValue<decimal>());
        Assert.Equal("stripe:" + checkout.SessionId, entry["reference"]!.GetValue<string>());
        Assert.Contains(checkout.Id, entry["note"]!.GetValue<string>());
    }

    [Fact]
    public async Task Wrong_signatures_old_timestamps_unknown_sessions_and_mismatched_amounts_are_refused_and_credit_nothing()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 0);
        var checkout = await CheckoutAsync(tenant, 10m);
        var good = SessionCompleted(checkout, amountMinor: 1000);

        using (var forged = await DeliverAsync(good, secret: "whsec_" + Guid.NewGuid().ToString("N")))
            await AssertRefusedAsync(forged, HttpStatusCode.BadRequest, "invalid_signature");
        using (var old = await DeliverAsync(good, timestamp: DateTimeOffset.UtcNow.AddMinutes(-10)))
            await AssertRefusedAsync(old, HttpStatusCode.BadRequest, "invalid_signature");
        using (var unsigned = await DeliverAsync(good, signatureHeader: ""))
            await AssertRefusedAsync(unsigned, HttpStatusCode.BadRequest, "invalid_signature");
        using (var altered = await DeliverAsync(good, alter: body => body.Replace("\"amount_total\":1000", "\"amount_total\":100000")))
            await AssertRefusedAsync(altered, HttpStatusCode.BadRequest, "invalid_signature");
        using (var unknown = await DeliverAsync(SessionCompleted(checkout with { SessionId = "cs_test_" + Guid.NewGuid().ToString("N") }, 1000)))
            await AssertRefusedAsync(unknown, HttpStatusCode.BadRequest, "unknown_session");
        using (var cheaper = await DeliverAsync(SessionCompleted(checkout, amountMinor: 999)))
            await AssertRefusedAsync(cheaper, HttpStatusCode.BadRequest, "amount_mismatch");
        using (var euros = await DeliverAsync(SessionCompleted(checkout, amountMinor: 1000, currency: "eur")))
            await AssertRefusedAsync(euros, HttpStatusCode.BadRequest, "amount_mismatch");
        using (var unpaid = await DeliverAsync(SessionCompleted(checkout, amountMinor: 1000, paymentStatus: "unpaid")))
            Assert.Equal(HttpStatusCode.OK, unpaid.StatusCode);
        Assert.Empty(await LedgerAsync(tenant.WalletId));

        // The refusals left the checkout as it was: the genuine event still credits it.
        using (var genuine = await DeliverAsync(good))
            Assert.Equal(HttpStatusCode.OK, genuine.StatusCode);
        Assert.Equal(10m, (await EdgeCalls.CreditsAsync(cluster.Edge, tenant.Key))["balance_usd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Refunds_and_disputes_are_ledger_debits_that_stop_at_zero_and_flag_the_shortfall()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 0);
        var checkout = await CheckoutAsync(tenant, 20m);
        using (var paid = await DeliverAsync(SessionCompleted(checkout, amountMinor: 2000)))
            Assert.Equal(HttpStatusCode.OK, paid.StatusCode);

        // A partial refund of 5 USD (Stripe reports the charge's cumulative amount_refunded), delivered twice.
        var refund = Event("charge.refunded", new JsonObject
        {
            ["id"] = "ch_" + checkout.Id[..8], ["object"] = "charge", ["amount"] = 2000, ["amount_refunded"] = 500, ["currency"] = "usd",
            ["payment_intent"] = PaymentIntent(checkout), ["refunded"] = false, ["status"] = "succeeded",
        });
        for (var i = 0; i < 2; i++)
        {
            using var response = await DeliverAsync(refund);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(15m, (await EdgeCalls.CreditsAsync(cluster.Edge, tenant.Key))["balance_usd"]!.GetValue<decimal>());

        // The key holder could have spent some of it; here the wallet has 15 USD when the whole 20 USD payment is disputed.
        var dispute = Event("charge.dispute.created", new JsonObject
        {
            ["id"] = "dp_" + checkout.Id[..8], ["object"] = "dispute", ["amount"] = 2000, ["currency"] = "usd",
            ["charge"] = "ch_" + checkout.Id[..8], ["payment_intent"] = PaymentIntent(checkout), ["status"] = "needs_response", ["reason"] = "fraudulent",
        });
        using (var disputed = await DeliverAsync(dispute))
            Assert.Equal(HttpStatusCode.OK, disputed.StatusCode);

        var credits = await EdgeCalls.CreditsAsync(cluster.Edge, tenant.Key);
        Assert.Equal(0m, credits["balance_usd"]!.GetValue<decimal>());
        var ledger = await LedgerAsync(tenant.WalletId);
        Assert.Equal(3, ledger.Count);
        var (disputeEntry, refundEntry) = (ledger[0], ledger[1]);
        Assert.Equal("adjustment", refundEntry["kind"]!.GetValue<string>());
        Assert.Equal(-5m, refundEntry["balance_delta_usd"]!.GetValue<decimal>());
        Assert.Equal(["refund"], refundEntry["flags"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Equal("adjustment", disputeEntry["kind"]!.GetValue<string>());
        Assert.Equal(-15m, disputeEntry["balance_delta_usd"]!.GetValue<decimal>());
        Assert.Equal(0m, disputeEntry["balance_after_usd"]!.GetValue<decimal>());
        Assert.Equal(["dispute", "shortfall"], disputeEntry["flags"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Contains("owed 20000000, collected 15000000, shortfall 5000000", disputeEntry["note"]!.GetValue<string>());

        // A later refund of the rest finds nothing to take: recorded, flagged, never below zero.
        var fullRefund = Event("charge.refunded", new JsonObject
        {
            ["id"] = "ch_" + checkout.Id[..8], ["object"] = "charge", ["amount"] = 2000, ["amount_refunded"] = 2000, ["currency"] = "usd",
            ["payment_intent"] = PaymentIntent(checkout), ["refunded"] = true, ["status"] = "succeeded",
        });
        using (var refunded = await DeliverAsync(fullRefund))
            Assert.Equal(HttpStatusCode.OK, refunded.StatusCode);
        var last = (await LedgerAsync(tenant.WalletId))[0];
        Assert.Equal(0m, last["amount_usd"]!.GetValue<decimal>());
        Assert.Equal(["refund", "shortfall"], last["flags"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Equal(0m, (await EdgeCalls.CreditsAsync(cluster.Edge, tenant.Key))["balance_usd"]!.GetValue<decimal>());
    }

    internal sealed record Checkout(string Id, string SessionId, string Url, Guid WalletId);

    private async Task<Checkout> CheckoutAsync(Tenant tenant, decimal amountUsd)
    {
        using var response = await EdgeCalls.PostAsync(cluster.Edge, tenant.Key, "/api/v1/credits/checkout",
            $$"""{"amount_usd": {{amountUsd.ToString(CultureInfo.InvariantCulture)}}}""");
        var data = (await OkAsync(response))["data"]!;
        Assert.Equal(amountUsd, data["amount_usd"]!.GetValue<decimal>());
        Assert.Equal("usd", data["currency"]!.GetValue<string>());
        return new Checkout(data["id"]!.GetValue<string>(), data["session_id"]!.GetValue<string>(), data["url"]!.GetValue<string>(), tenant.WalletId);
    }

    private static string PaymentIntent(Checkout checkout) => "pi_" + checkout.Id.Replace("-", "");

    /// <summary>checkout.session.completed as Stripe sends it (the fields NexRelay reads, and a few it does not).</summary>
    private static string SessionCompleted(Checkout checkout, long amountMinor, string currency = "usd", string paymentStatus = "paid") =>
        Event("checkout.session.completed", new JsonObject
        {
            ["id"] = checkout.SessionId, ["object"] = "checkout.session", ["mode"] = "payment", ["status"] = "complete",
            ["payment_status"] = paymentStatus, ["amount_total"] = amountMinor, ["amount_subtotal"] = amountMinor, ["currency"] = currency,
            ["client_reference_id"] = checkout.Id, ["payment_intent"] = PaymentIntent(checkout),
            ["metadata"] = new JsonObject { ["nexrelay_checkout_id"] = checkout.Id, ["nexrelay_wallet_id"] = checkout.WalletId.ToString() },
        });

    private static string Event(string type, JsonObject dataObject) => new JsonObject
    {
        ["id"] = "evt_" + Guid.NewGuid().ToString("N"),
        ["object"] = "event",
        ["api_version"] = "2025-09-30.clover",
        ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["livemode"] = false,
        ["pending_webhooks"] = 1,
        ["type"] = type,
        ["data"] = new JsonObject { ["object"] = dataObject },
    }.ToJsonString();

    /// <summary>Posts <paramref name="body"/> to the edge signed as Stripe signs: <c>t=unix seconds,v1=hex(HMAC-SHA256(secret, t + "." + body))</c>.</summary>
    private async Task<HttpResponseMessage> DeliverAsync(string body, string? secret = null, DateTimeOffset? timestamp = null,
        string? signatureHeader = null, Func<string, string>? alter = null)
    {
        var t = (timestamp ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret ?? cluster.WebhookSecret),
            Encoding.UTF8.GetBytes($"{t}.{body}")));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe")
        {
            Content = new StringContent(alter?.Invoke(body) ?? body, Encoding.UTF8, "application/json"),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        var header = signatureHeader ?? $"t={t},v1={signature}";
        if (header.Length > 0) request.Headers.TryAddWithoutValidation("Stripe-Signature", header);
        return await cluster.Edge.SendAsync(request);
    }

    private async Task<List<JsonNode>> LedgerAsync(Guid walletId)
    {
        using var admin = cluster.AdminClient();
        var page = await admin.GetFromJsonAsync<JsonNode>($"/admin/v1/wallets/{walletId}/ledger?limit=500");
        return [.. page!["data"]!.AsArray().Select(e => e!)];
    }
}
