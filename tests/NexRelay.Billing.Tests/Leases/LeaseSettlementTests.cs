using NexRelay.Billing.Tests.Settlement;

namespace NexRelay.Billing.Tests.Leases;

/// <summary>Requests held in memory against a lease, settled through RabbitMQ by the batch consumer.</summary>
public sealed class LeaseSettlementTests(BillingFixture fixture) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task Settlement_captures_the_cost_from_the_lease()
    {
        var key = Guid.NewGuid();
        var (wallet, lease) = await fixture.WalletWithLeaseAsync(1_000_000, target: 200_000, keyId: key, budget: 1_000_000);
        var request = BillingFixture.LeasedCompleted(lease, 12_345);

        await fixture.SendSettlementAsync(request);
        await fixture.WaitForConsumedAsync(request.RequestId, 1);

        Assert.Equal((987_655L, 187_655L), await fixture.WalletAsync(wallet));
        Assert.Equal((12_345L, 187_655L), await fixture.BucketAsync(key));
        Assert.Equal((200_000L, 200_000L, 12_345L, "open"), await fixture.LeaseRowAsync(lease.LeaseId));
        Assert.Equal(1L, await fixture.ScalarAsync<long>(
            "SELECT count(*) FROM ledger_entries WHERE request_id = $1 AND kind = 'capture' AND amount = 12345 AND reference = $2 AND flags = '{}'",
            request.RequestId, lease.LeaseId));
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE request_id = $1 AND kind <> 'capture'", request.RequestId));
    }

    [Fact]
    public async Task A_request_that_cost_nothing_writes_no_ledger_entry()
    {
        var (wallet, lease) = await fixture.WalletWithLeaseAsync(1_000_000, target: 200_000);
        var entries = await fixture.LedgerCountAsync(wallet);
        var request = BillingFixture.LeasedCompleted(lease, 0, heldMicros: 0);

        await fixture.SendSettlementAsync(request);
        await fixture.WaitForConsumedAsync(request.RequestId, 1);

        Assert.Equal(entries, await fixture.LedgerCountAsync(wallet));
        Assert.Equal((1_000_000L, 200_000L), await fixture.WalletAsync(wallet));
        Assert.Equal(1L, await fixture.ScalarAsync<long>("SELECT count(*) FROM processed_messages WHERE message_id = $1", "settle:" + request.RequestId));
    }

    [Fact]
    public async Task Settlement_delivered_many_times_captures_once()
    {
        var (wallet, lease) = await fixture.WalletWithLeaseAsync(1_000_000, target: 200_000);
        var request = BillingFixture.LeasedCompleted(lease, 30_000);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => fixture.SendSettlementAsync(request)));
        await fixture.WaitForConsumedAsync(request.RequestId, 8);
        await fixture.SendSettlementAsync(request);
        await fixture.WaitForConsumedAsync(request.RequestId, 9);

        Assert.Equal((970_000L, 170_000L), await fixture.WalletAsync(wallet));
        Assert.Equal(30_000L, (await fixture.LeaseRowAsync(lease.LeaseId)).Captured);
        Assert.Equal(1L, await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE request_id = $1", request.RequestId));
    }

    [Fact]
    public async Task A_request_settled_from_its_hold_is_not_settled_again_from_a_lease()
    {
        var (wallet, lease) = await fixture.WalletWithLeaseAsync(1_000_000, target: 200_000);
        var hold = BillingFixture.Hold(wallet, 50_000, lease.KeyId);
        Assert.Equal(200, (await fixture.HoldAsync(hold)).Status);
        await fixture.SendSettlementAsync(BillingFixture.Completed(hold, 20_000));
        await fixture.WaitForConsumedAsync(hold.RequestId, 1);

        await fixture.SendSettlementAsync(BillingFixture.LeasedCompleted(lease, 20_000, hold.RequestId));
        await fixture.WaitForConsumedAsync(hold.RequestId, 2);

        Assert.Equal((980_000L, 200_000L), await fixture.WalletAsync(wallet));
        Assert.Equal(0L, (await fixture.LeaseRowAsync(lease.LeaseId)).Captured);
    }

    [Fact]
    public async Task A_request_settled_from_a_lease_is_not_settled_again_from_a_hold()
    {
        var (wallet, lease) = await fixture.WalletWithLeaseAsync(1_000_000, target: 200_000);
        var leased = BillingFixture.LeasedCompleted(lease, 20_000);
        await fixture.SendSettlementAsync(leased);
        await fixture.WaitForConsumedAsync(leased.RequestId, 1);
        // The same request id then asks for a per-request hold (a late attempt): the request is settled, so no hold is
        // placed (before hold_lock_key.sql it was, and stayed reserved until the orphan sweep).
        var hold = BillingFixture.Hold(wallet, 50_000, lease.KeyId, requestId: leased.RequestId);
        var (status, refusal) = await fixture.HoldAsync(hold);
        Assert.Equal((402, "settled"), (status, refusal.Shortfall));

        await fixture.SendSettlementAsync(BillingFixture.Completed(hold, 20_000));
        await fixture.WaitForConsumedAsync(leased.RequestId, 2);

        // Charged once, and nothing held for it.
        Assert.Equal((980_000L, 180_000L), await fixture.WalletAsync(wallet));
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT count(*) FROM holds WHERE request_id = $1", hold.RequestId));
        Assert.Equal(1L, await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE request_id = $1 AND kind = 'capture'", leased.RequestId));
    }

    [Fact]
    public async Task Closing_then_settling_the_spent_part_returns_reserved_to_zero()
    {
        var key = Guid.NewGuid();
        var (wallet, lease) = await fixture.WalletWithLeaseAsync(1_000_000, target: 400_000, keyId: key, budget: 5_000_000);
        var first = BillingFixture.LeasedCompleted(lease, 30_000);
        var second = BillingFixture.LeasedCompleted(lease, 70_000);
        await fixture.SendSettlementAsync(first);
        await fixture.WaitForConsumedAsync(first.RequestId, 1);

        var closed = (await fixture.CloseLeaseAsync(lease.LeaseId, 100_000)).Body!;
        Assert.Equal(("closed", 30_000L, 300_000L), (closed.State, closed.CapturedMicros, closed.ReleasedMicros));
        Assert.Equal((970_000L, 70_000L), await fixture.WalletAsync(wallet));

        await fixture.SendSettlementAsync(second);
        await fixture.WaitForConsumedAsync(second.RequestId, 1);

        Assert.Equal((900_000L, 0L), await fixture.WalletAsync(wallet));
        Assert.Equal((100_000L, 0L), await fixture.BucketAsync(key));
        Assert.Equal((400_000L, 100_000L, 100_000L, "closed"), await fixture.LeaseRowAsync(lease.LeaseId));
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE wallet_id = $1 AND 'late' = ANY(flags)", wallet));
    }

    [Fact]
    public async Task Cost_beyond_an_open_leases_reserve_is_taken_from_the_available_balance_and_flagged_late()
    {
        var (wallet, lease) = await fixture.WalletWithLeaseAsync(1_000_000, target: 100_000);
        var request = BillingFixture.LeasedCompleted(lease, 150_000);

        await fixture.SendSettlementAsync(request);
        await fixture.WaitForConsumedAsync(request.RequestId, 1);

        Assert.Equal((850_000L, 0L), await fixture.WalletAsync(wallet));
        Assert.Equal((100_000L, 100_000L, 100_000L, "open"), await fixture.LeaseRowAsync(lease.LeaseId));
        Assert.True(await fixture.ScalarAsync<bool>(
            "SELECT 'late' = ANY(flags) AND NOT 'uncollected' = ANY(flags) AND amount = 150000 AND reserved_delta = -100000 FROM ledger_entries WHERE request_id = $1 AND kind = 'capture'",
            request.RequestId));
    }

    [Fact]
    public async Task Cost_beyond_the_reserve_never_exceeds_the_keys_budget()
    {
        var wallet = await fixture.CreateWalletAsync(10_000_000);
        var key = Guid.NewGuid();
        var lease = BillingFixture.Lease(wallet, target: 100_000, keyId: key, budget: 400_000, divisor: 2);
        Assert.Equal(100_000, (await fixture.GrantedLeaseAsync(lease)).GrantedMicros);
        var request = BillingFixture.LeasedCompleted(lease, 1_000_000);

        await fixture.SendSettlementAsync(request);
        await fixture.WaitForConsumedAsync(request.RequestId, 1);

        // 100_000 from the reserve, 300_000 more fits the budget, 600_000 uncollected.
        Assert.Equal((400_000L, 0L), await fixture.BucketAsync(key));
        Assert.Equal((9_600_000L, 0L), await fixture.WalletAsync(wallet));
        Assert.Contains("uncollected 600000", await fixture.ScalarAsync<string>(
            "SELECT note FROM ledger_entries WHERE request_id = $1 AND kind = 'capture'", request.RequestId));
    }

    [Fact]
    public async Task Settlement_naming_an_unknown_lease_changes_nothing()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var request = BillingFixture.LeasedCompleted(BillingFixture.Lease(wallet, 1_000), 10_000);

        await fixture.SendSettlementAsync(request);
        await fixture.WaitForConsumedAsync(request.RequestId, 1);

        Assert.Equal((1_000_000L, 0L), await fixture.WalletAsync(wallet));
        Assert.Equal(1L, await fixture.LedgerCountAsync(wallet));
    }
}
