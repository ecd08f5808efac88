namespace NexRelay.Billing.Tests.Leases;

public sealed class LeaseConcurrencyTests(BillingFixture fixture) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task Parallel_opens_on_a_small_balance_share_it_and_never_overspend()
    {
        const long balance = 100_000;
        var wallet = await fixture.CreateWalletAsync(balance);

        var results = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(_ => fixture.OpenLeaseAsync(BillingFixture.Lease(wallet, target: balance, minimum: 1_000, divisor: 2))));

        Assert.All(results, r => Assert.Equal(200, r.Status));
        var grants = results.Where(r => r.Body!.Granted).Select(r => r.Body!.GrantedMicros).OrderDescending().ToList();
        // Each grant is half of what was left: 50_000, 25_000, 12_500, 6_250, 3_125, 1_562; then 781 is below the minimum.
        Assert.Equal([50_000L, 25_000, 12_500, 6_250, 3_125, 1_562], grants);
        Assert.All(results.Where(r => !r.Body!.Granted), r =>
        {
            Assert.Equal("wallet", r.Body!.Shortfall);
            Assert.Equal(balance - grants.Sum(), r.Body.AvailableMicros);
        });
        Assert.Equal((balance, grants.Sum()), await fixture.WalletAsync(wallet));
    }

    [Fact]
    public async Task Parallel_opens_on_one_key_never_exceed_its_budget()
    {
        var wallet = await fixture.CreateWalletAsync(100_000_000);
        var key = Guid.NewGuid();

        var results = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(_ => fixture.OpenLeaseAsync(BillingFixture.Lease(wallet, target: 1_000_000, minimum: 1_000, keyId: key, budget: 40_000, divisor: 1))));

        Assert.Equal(1, results.Count(r => r.Body!.Granted));
        Assert.Equal(40_000, results.Single(r => r.Body!.Granted).Body!.GrantedMicros);
        Assert.All(results.Where(r => !r.Body!.Granted), r => Assert.Equal(("budget", 0L), (r.Body!.Shortfall, r.Body.AvailableMicros)));
        Assert.Equal((0L, 40_000L), await fixture.BucketAsync(key));
    }

    [Fact]
    public async Task Settlements_closes_and_holds_racing_on_one_wallet_keep_it_equal_to_its_ledger()
    {
        var wallet = await fixture.CreateWalletAsync(2_000_000);
        var leases = Enumerable.Range(0, 3).Select(_ => BillingFixture.Lease(wallet, target: 400_000, minimum: 1_000, divisor: 2)).ToList();
        var granted = new List<long>();
        foreach (var lease in leases) granted.Add((await fixture.GrantedLeaseAsync(lease)).GrantedMicros);
        var messages = leases.SelectMany((l, i) => Enumerable.Range(0, 15).Select(j => BillingFixture.LeasedCompleted(l, 2_000 + j * 100 + i))).ToList();

        // Settlements race the closes (some arrive before, some after) and new per-request holds on the same wallet.
        var settle = Task.WhenAll(messages.Select(fixture.SendSettlementAsync));
        var close = Task.WhenAll(leases.Select(l => fixture.CloseLeaseAsync(l.LeaseId, messages.Where(m => m.LeaseId == l.LeaseId).Sum(m => m.CostMicros))));
        var holds = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => fixture.HoldAsync(BillingFixture.Hold(wallet, 30_000))));
        await Task.WhenAll(settle, close);
        foreach (var m in messages) await fixture.WaitForConsumedAsync(m.RequestId, 1);

        var (balance, reserved) = await fixture.WalletAsync(wallet);
        Assert.Equal(2_000_000L - messages.Sum(m => m.CostMicros), balance);
        Assert.Equal(holds.Count(h => h.Status == 200) * 30_000L, reserved);
        Assert.True(balance - reserved >= 0);
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE wallet_id = $1 AND 'late' = ANY(flags)", wallet));
        await fixture.AssertInvariantsAsync();
    }
}
