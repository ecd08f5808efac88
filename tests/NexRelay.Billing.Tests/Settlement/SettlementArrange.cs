using NexRelay.Contracts.Billing;
using NexRelay.Contracts.Messages;

namespace NexRelay.Billing.Tests.Settlement;

/// <summary>Arrange steps the settlement tests share, through the fixture's real HTTP API.</summary>
internal static class SettlementArrange
{
    /// <summary>A wallet credited with <paramref name="credit"/> and a lease granted on it.</summary>
    public static async Task<(Guid Wallet, LeaseRequest Lease)> WalletWithLeaseAsync(
        this BillingFixture fixture, long credit, long target, Guid? keyId = null, long? budget = null)
    {
        var wallet = await fixture.CreateWalletAsync(credit);
        var lease = BillingFixture.Lease(wallet, target: target, keyId: keyId, budget: budget);
        await fixture.GrantedLeaseAsync(lease);
        return (wallet, lease);
    }

    /// <summary>
    /// A wallet of 10 USD with a granted 2 USD lease on one key and <paramref name="holdCount"/> held requests of 0.1 USD on
    /// another (both keys budgeted at 5 USD); completed requests for <paramref name="leasedCount"/> leased requests costing
    /// 1_000 + i and for each hold costing 10_000 + i, not yet sent.
    /// </summary>
    public static async Task<MixedSettlements> MixedSettlementsAsync(this BillingFixture fixture, int leasedCount, int holdCount)
    {
        var holdKey = Guid.NewGuid();
        var (wallet, lease) = await fixture.WalletWithLeaseAsync(10_000_000, target: 2_000_000, keyId: Guid.NewGuid(), budget: 5_000_000);
        var holds = Enumerable.Range(0, holdCount).Select(_ => BillingFixture.Hold(wallet, 100_000, holdKey, budget: 5_000_000)).ToList();
        foreach (var hold in holds) Assert.Equal(200, (await fixture.HoldAsync(hold)).Status);

        var leased = Enumerable.Range(0, leasedCount).Select(i => BillingFixture.LeasedCompleted(lease, 1_000 + i)).ToList();
        var held = holds.Select((h, i) => BillingFixture.Completed(h, 10_000 + i)).ToList();
        return new MixedSettlements(wallet, lease, holdKey, leased, held);
    }
}

/// <summary>What <see cref="SettlementArrange.MixedSettlementsAsync"/> arranged: <see cref="All"/> is the leased requests, then the held ones.</summary>
internal sealed record MixedSettlements(Guid Wallet, LeaseRequest Lease, Guid HoldKey, List<RequestCompleted> Leased, List<RequestCompleted> Held)
{
    public List<RequestCompleted> All { get; } = [.. Leased, .. Held];

    public string[] RequestIds => All.Select(m => m.RequestId).ToArray();

    public long LeasedCost => Leased.Sum(m => m.CostMicros);

    public long HeldCost => Held.Sum(m => m.CostMicros);

    /// <summary>Every request captured exactly once: the wallet, the lease and both keys' buckets moved by exactly their costs.</summary>
    public async Task AssertEachCapturedOnceAsync(BillingFixture fixture)
    {
        Assert.Equal((10_000_000L - LeasedCost - HeldCost, 2_000_000L - LeasedCost), await fixture.WalletAsync(Wallet));
        Assert.Equal(LeasedCost, (await fixture.LeaseRowAsync(Lease.LeaseId)).Captured);
        Assert.Equal((LeasedCost, 2_000_000L - LeasedCost), await fixture.BucketAsync(Lease.KeyId));
        Assert.Equal((HeldCost, 0L), await fixture.BucketAsync(HoldKey));
        Assert.Equal((long)All.Count, await fixture.ScalarAsync<long>(
            "SELECT count(*) FROM ledger_entries WHERE kind = 'capture' AND request_id = ANY($1)", (object)RequestIds));
    }
}
