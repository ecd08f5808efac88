using System.Net.Http.Json;
using NexRelay.Billing.Client;

namespace NexRelay.Billing.Tests.BillingClient;

/// <summary>The client's typed answers (services/NexRelay.Billing.Client/BillingAnswers.cs) read billing's real JSON.</summary>
public sealed class BillingAnswersTests(BillingFixture fixture) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task A_wallet_reads_as_billing_wrote_it()
    {
        var wallet = await fixture.CreateWalletAsync(2_500_000);
        Assert.Equal(200, (await fixture.HoldAsync(BillingFixture.Hold(wallet, 1_000_000))).Status);

        var answer = await fixture.Client.GetFromJsonAsync(BillingReads.WalletPath(wallet), BillingAnswersJson.Default.WalletAnswer);

        Assert.NotNull(answer);
        Assert.Equal(wallet, answer.Id);
        Assert.False(string.IsNullOrEmpty(answer.Name));
        Assert.Equal(2.5m, answer.BalanceUsd);
        Assert.Equal(1m, answer.ReservedUsd);
        Assert.Equal(1.5m, answer.AvailableUsd);
        Assert.True(answer.CreatedAt > DateTimeOffset.UtcNow.AddMinutes(-10));
    }

    [Fact]
    public async Task A_budget_reads_as_billing_wrote_it_with_and_without_a_budget()
    {
        var wallet = await fixture.CreateWalletAsync(10_000_000);
        var key = Guid.NewGuid();
        var settled = BillingFixture.Hold(wallet, 300_000, key, budget: 2_000_000);
        Assert.Equal(200, (await fixture.HoldAsync(settled)).Status);
        Assert.Equal(200, (await fixture.HoldAsync(BillingFixture.Hold(wallet, 500_000, key, budget: 2_000_000))).Status);
        await fixture.SendSettlementAsync(BillingFixture.Completed(settled, 120_000));
        await fixture.WaitForConsumedAsync(settled.RequestId, 1);

        var budget = await fixture.Client.GetFromJsonAsync(BillingReads.BudgetPath(key, 2_000_000, "total"), BillingAnswersJson.Default.BudgetAnswer);
        var unlimited = await fixture.Client.GetFromJsonAsync(BillingReads.BudgetPath(key, null, "total"), BillingAnswersJson.Default.BudgetAnswer);

        Assert.NotNull(budget);
        Assert.Equal("total", budget.PeriodKey);
        Assert.Equal(0.12m, budget.UsedUsd);
        Assert.Equal(0.5m, budget.ReservedUsd);
        Assert.Equal(1.38m, budget.RemainingUsd);
        Assert.NotNull(unlimited);
        Assert.Null(unlimited.RemainingUsd);
        Assert.Equal(0.12m, unlimited.UsedUsd);
    }
}
