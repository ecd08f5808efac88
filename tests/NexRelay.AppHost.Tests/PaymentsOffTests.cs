using System.Net;
using System.Net.Http.Json;
using static NexRelay.AppHost.Tests.RedemptionCodeTests;

namespace NexRelay.AppHost.Tests;

/// <summary>The shared cluster configures no Stripe secrets: card payments are off, and say so in OpenAI's envelope.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PaymentsOffTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Checkout_and_the_Stripe_webhook_answer_503_payments_not_configured()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 0);
        using var checkout = await EdgeCalls.PostAsync(cluster.Edge, tenant.Key, "/api/v1/credits/checkout", """{"amount_usd": 20}""");
        await AssertRefusedAsync(checkout, HttpStatusCode.ServiceUnavailable, "payments_not_configured");
        using var webhook = await cluster.Edge.PostAsync("/webhooks/stripe", JsonContent.Create(new { id = "evt_1", type = "checkout.session.completed" }));
        await AssertRefusedAsync(webhook, HttpStatusCode.ServiceUnavailable, "payments_not_configured");
    }
}
