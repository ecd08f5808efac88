using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NexRelay.ServiceDefaults.Internal;

namespace NexRelay.Billing.Tests;

/// <summary>
/// Billing's <c>/internal/*</c> (holds, leases, wallet and budget reads) answers only NexRelay's own services: without the
/// internal token, or with another, every route is a 401 problem and no money moves or is reserved.
/// </summary>
public sealed class InternalTokenTests(BillingFixture fixture) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("test-internal-token-012345678")] // one character short
    [InlineData("test-internal-token-0123456780")] // last character differs
    [InlineData("test-admin-token-0123456789")] // the admin token is not the internal token
    public async Task Every_internal_route_refuses_a_caller_without_the_token(string? token)
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var lease = BillingFixture.Lease(wallet, 100_000);
        await fixture.GrantedLeaseAsync(lease);
        var before = await fixture.WalletAsync(wallet);
        var ledgerBefore = await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE wallet_id = $1", wallet);
        using var client = new HttpClient { BaseAddress = fixture.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null) client.DefaultRequestHeaders.TryAddWithoutValidation(InternalAuth.HeaderName, token);

        var answers = new[]
        {
            await client.PostAsJsonAsync("/internal/holds", BillingFixture.Hold(wallet, 50_000)),
            await client.PostAsJsonAsync("/internal/leases", BillingFixture.Lease(wallet, 200_000)),
            await client.PostAsJsonAsync($"/internal/leases/{Uri.EscapeDataString(lease.LeaseId)}/close", new { spent_micros = 100_000 }),
            await client.GetAsync($"/internal/wallets/{wallet}"),
            await client.GetAsync($"/internal/budgets/{Guid.NewGuid()}?period=total"),
            await client.PostAsync("/internal/holds", new StringContent("not json", System.Text.Encoding.UTF8, "application/json")),
        };

        foreach (var answer in answers)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
            Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("https://nexrelay.dev/problems/internal-token", problem.GetProperty("type").GetString());
            answer.Dispose();
        }
        Assert.Equal(before, await fixture.WalletAsync(wallet));
        Assert.Equal(ledgerBefore, await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE wallet_id = $1", wallet));
        Assert.Equal("open", (await fixture.LeaseRowAsync(lease.LeaseId)).State);

        // The same calls with the token work: the refusals above were the token's doing.
        using var edge = fixture.NewClient();
        using var read = await edge.GetAsync($"/internal/wallets/{wallet}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var close = await fixture.CloseLeaseAsync(lease.LeaseId, 0);
        Assert.Equal(200, close.Status);
    }
}
