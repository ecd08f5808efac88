namespace NexRelay.Billing.Tests.Settlement;

public sealed class SettlementTests(BillingFixture fixture) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task Settlement_delivered_ten_times_sequentially_captures_once()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var hold = BillingFixture.Hold(wallet, 100_000);
        Assert.Equal(200, (await fixture.HoldAsync(hold)).Status);

        for (var i = 0; i < 10; i++)
        {
            await fixture.SendSettlementAsync(BillingFixture.Completed(hold, 30_000));
            await fixture.WaitForConsumedAsync(hold.RequestId, i + 1);
        }

        Assert.Equal((970_000L, 0L), await fixture.WalletAsync(wallet));
        Assert.Equal(1L, await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE request_id = $1 AND kind = 'capture'", hold.RequestId));
        Assert.Equal(70_000L, await fixture.ScalarAsync<long>("SELECT amount FROM ledger_entries WHERE request_id = $1 AND kind = 'release'", hold.RequestId));
        Assert.Equal("settled", await fixture.ScalarAsync<string>("SELECT state FROM holds WHERE request_id = $1", hold.RequestId));
    }

    [Fact]
    public async Task Settlement_delivered_ten_times_concurrently_captures_once()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var key = Guid.NewGuid();
        var hold = BillingFixture.Hold(wallet, 100_000, key, budget: 500_000);
        Assert.Equal(200, (await fixture.HoldAsync(hold)).Status);

        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => fixture.SendSettlementAsync(BillingFixture.Completed(hold, 45_678))));
        await fixture.WaitForConsumedAsync(hold.RequestId, 10);

        Assert.Equal((1_000_000L - 45_678, 0L), await fixture.WalletAsync(wallet));
        Assert.Equal(1L, await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE request_id = $1 AND kind = 'capture'", hold.RequestId));
        Assert.Equal(1L, await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE request_id = $1 AND kind = 'release'", hold.RequestId));
        // The key's bucket moved from reserved to spent.
        Assert.Equal(45_678L, await fixture.ScalarAsync<long>("SELECT spent FROM key_budgets WHERE key_id = $1", key));
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT reserved FROM key_budgets WHERE key_id = $1", key));
    }

    [Fact]
    public async Task Cost_above_the_hold_is_clamped_to_the_hold_and_flagged()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var hold = BillingFixture.Hold(wallet, 100_000);
        Assert.Equal(200, (await fixture.HoldAsync(hold)).Status);

        await fixture.SendSettlementAsync(BillingFixture.Completed(hold, 250_000));
        await fixture.WaitForConsumedAsync(hold.RequestId, 1);

        Assert.Equal((900_000L, 0L), await fixture.WalletAsync(wallet));
        Assert.Equal(100_000L, await fixture.ScalarAsync<long>("SELECT amount FROM ledger_entries WHERE request_id = $1 AND kind = 'capture'", hold.RequestId));
        Assert.True(await fixture.ScalarAsync<bool>("SELECT 'clamped' = ANY(flags) FROM ledger_entries WHERE request_id = $1 AND kind = 'capture'", hold.RequestId));
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE request_id = $1 AND kind = 'release'", hold.RequestId));
    }

    [Fact]
    public async Task Zero_cost_releases_the_whole_hold()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var hold = BillingFixture.Hold(wallet, 100_000);
        Assert.Equal(200, (await fixture.HoldAsync(hold)).Status);

        await fixture.SendSettlementAsync(BillingFixture.Completed(hold, 0));
        await fixture.WaitForConsumedAsync(hold.RequestId, 1);

        Assert.Equal((1_000_000L, 0L), await fixture.WalletAsync(wallet));
        Assert.Equal("released", await fixture.ScalarAsync<string>("SELECT state FROM holds WHERE request_id = $1", hold.RequestId));
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE request_id = $1 AND kind = 'capture'", hold.RequestId));
    }

    [Fact]
    public async Task Negative_cost_is_clamped_to_zero()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var hold = BillingFixture.Hold(wallet, 100_000);
        Assert.Equal(200, (await fixture.HoldAsync(hold)).Status);

        await fixture.SendSettlementAsync(BillingFixture.Completed(hold, -5));
        await fixture.WaitForConsumedAsync(hold.RequestId, 1);

        Assert.Equal((1_000_000L, 0L), await fixture.WalletAsync(wallet));
    }

    [Fact]
    public async Task Settlement_without_a_hold_changes_nothing()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var never = BillingFixture.Hold(wallet, 100_000);

        await fixture.SendSettlementAsync(BillingFixture.Completed(never, 10_000));
        await fixture.WaitForConsumedAsync(never.RequestId, 1);

        Assert.Equal((1_000_000L, 0L), await fixture.WalletAsync(wallet));
    }

    [Fact]
    public async Task Many_requests_on_one_hot_wallet_end_with_balance_equal_to_opening_minus_costs()
    {
        const int requests = 60;
        var wallet = await fixture.CreateWalletAsync(10_000_000);
        var holds = Enumerable.Range(0, requests).Select(_ => BillingFixture.Hold(wallet, 50_000)).ToList();

        await Task.WhenAll(holds.Select(async (h, i) =>
        {
            Assert.Equal(200, (await fixture.HoldAsync(h)).Status);
            await fixture.SendSettlementAsync(BillingFixture.Completed(h, 1_000 + i));
        }));
        foreach (var h in holds) await fixture.WaitForConsumedAsync(h.RequestId, 1);

        var costs = Enumerable.Range(0, requests).Sum(i => 1_000L + i);
        Assert.Equal((10_000_000L - costs, 0L), await fixture.WalletAsync(wallet));
    }
}
