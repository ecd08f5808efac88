using NexRelay.Billing.Tests.Settlement;

namespace NexRelay.Billing.Tests.Leases;

/// <summary>The settlement consumer's batches (collected for up to half a second here) through the real RabbitMQ.</summary>
public sealed class BatchSettlementTests(SlowBatchFixture fixture) : IClassFixture<SlowBatchFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task A_batch_of_lease_and_hold_settlements_with_duplicates_settles_each_request_once()
    {
        var arranged = await fixture.MixedSettlementsAsync(leasedCount: 20, holdCount: 10);
        var all = arranged.All;
        var duplicates = all.Where((_, i) => i % 3 == 0).ToList();

        await Task.WhenAll(all.Concat(duplicates).Select(fixture.SendSettlementAsync));
        foreach (var m in all) await fixture.WaitForConsumedAsync(m.RequestId, duplicates.Contains(m) ? 2 : 1);

        await arranged.AssertEachCapturedOnceAsync(fixture);
        var ids = arranged.RequestIds;
        // Settled in fewer transactions than messages: every row a transaction writes carries its one now().
        var transactions = await fixture.ScalarAsync<long>(
            "SELECT count(DISTINCT processed_at) FROM processed_messages WHERE message_id = ANY($1)", (object)ids.Select(id => "settle:" + id).ToArray());
        Assert.InRange(transactions, 1, all.Count / 2);

        // A redelivery of any subset, alone or mixed with new requests, changes nothing more than the new ones.
        var late = BillingFixture.LeasedCompleted(arranged.Lease, 5_000);
        await Task.WhenAll(all.Where((_, i) => i % 2 == 1).Append(late).Select(fixture.SendSettlementAsync));
        await fixture.WaitForConsumedAsync(late.RequestId, 1);
        foreach (var m in all.Where((_, i) => i % 2 == 1)) await fixture.WaitForConsumedAsync(m.RequestId, duplicates.Contains(m) ? 3 : 2);

        Assert.Equal((10_000_000L - arranged.LeasedCost - arranged.HeldCost - 5_000, 2_000_000L - arranged.LeasedCost - 5_000),
            await fixture.WalletAsync(arranged.Wallet));
        await fixture.AssertInvariantsAsync();
    }

    [Fact]
    public async Task Overlapping_batches_on_one_hot_wallet_settle_everything_without_deadlocks()
    {
        var wallet = await fixture.CreateWalletAsync(100_000_000);
        var keys = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid()).ToList();
        var leases = keys.Select(k => BillingFixture.Lease(wallet, target: 5_000_000, keyId: k, budget: 50_000_000)).ToList();
        foreach (var lease in leases) await fixture.GrantedLeaseAsync(lease);
        var messages = Enumerable.Range(0, 160).Select(i => BillingFixture.LeasedCompleted(leases[i % leases.Count], 100 + i)).ToList();
        var holds = Enumerable.Range(0, 40).Select(i => BillingFixture.Hold(wallet, 10_000, keys[i % keys.Count], budget: 50_000_000)).ToList();
        var deadlocksBefore = await DeadlocksAsync();

        // Settlements, new holds, new leases and closes all at once on the one wallet.
        var sends = Task.WhenAll(messages.Concat(messages.Take(40)).Select(fixture.SendSettlementAsync));
        var holdAndSettle = Task.WhenAll(holds.Select(async (h, i) =>
        {
            Assert.Equal(200, (await fixture.HoldAsync(h)).Status);
            await fixture.SendSettlementAsync(BillingFixture.Completed(h, 1_000 + i));
        }));
        var moreLeases = Task.WhenAll(keys.Select(k => fixture.GrantedLeaseAsync(BillingFixture.Lease(wallet, 1_000_000, keyId: k, budget: 50_000_000))));
        await Task.WhenAll(sends, holdAndSettle, moreLeases);
        foreach (var m in messages) await fixture.WaitForConsumedAsync(m.RequestId, messages.IndexOf(m) < 40 ? 2 : 1);
        foreach (var h in holds) await fixture.WaitForConsumedAsync(h.RequestId, 1);
        var spent = leases.ToDictionary(l => l.LeaseId, l => messages.Where(m => m.LeaseId == l.LeaseId).Sum(m => m.CostMicros));
        await Task.WhenAll(leases.Select(l => fixture.CloseLeaseAsync(l.LeaseId, spent[l.LeaseId])));

        var total = messages.Sum(m => m.CostMicros) + Enumerable.Range(0, holds.Count).Sum(i => 1_000L + i);
        Assert.Equal((100_000_000L - total, 4 * 1_000_000L), await fixture.WalletAsync(wallet));
        foreach (var lease in leases)
            Assert.Equal((5_000_000L, spent[lease.LeaseId], spent[lease.LeaseId], "closed"), await fixture.LeaseRowAsync(lease.LeaseId));
        Assert.Equal(deadlocksBefore, await DeadlocksAsync());
        await fixture.AssertInvariantsAsync();
    }

    private Task<long> DeadlocksAsync() =>
        fixture.ScalarAsync<long>("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()");
}
