namespace NexRelay.Billing.Tests.Leases;

/// <summary>Leases whose edge never closes them or whose settlements never come, on a billing service with a one-second hold timeout.</summary>
public sealed class OrphanedLeaseTests(ShortHoldTimeoutFixture fixture) : IClassFixture<ShortHoldTimeoutFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task Open_lease_is_released_once_its_reserve_window_and_the_hold_timeout_have_passed()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var key = Guid.NewGuid();
        var lease = BillingFixture.Lease(wallet, target: 400_000, keyId: key, budget: 1_000_000, reserveSeconds: 1);
        await fixture.GrantedLeaseAsync(lease);
        var request = BillingFixture.LeasedCompleted(lease, 25_000);
        await fixture.SendSettlementAsync(request);
        await fixture.WaitForConsumedAsync(request.RequestId, 1);

        await WaitForStateAsync(lease.LeaseId, "expired");

        Assert.Equal((975_000L, 0L), await fixture.WalletAsync(wallet));
        Assert.Equal((25_000L, 0L), await fixture.BucketAsync(key));
        Assert.Equal((400_000L, 25_000L, 25_000L, "expired"), await fixture.LeaseRowAsync(lease.LeaseId));
        Assert.True(await fixture.ScalarAsync<bool>(
            "SELECT 'expired' = ANY(flags) AND amount = 375000 FROM ledger_entries WHERE request_id = $1 AND kind = 'release'", lease.LeaseId));
        // Closing it now changes nothing.
        var closed = (await fixture.CloseLeaseAsync(lease.LeaseId, 25_000)).Body!;
        Assert.Equal(("expired", 0L), (closed.State, closed.ReleasedMicros));
    }

    [Fact]
    public async Task Closed_lease_whose_settlements_never_come_is_released_after_the_hold_timeout()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var lease = BillingFixture.Lease(wallet, target: 400_000, reserveSeconds: 3600);
        await fixture.GrantedLeaseAsync(lease);
        await Task.Delay(2_500); // several sweeps: an open lease inside its reserve window is left alone
        Assert.Equal("open", (await fixture.LeaseRowAsync(lease.LeaseId)).State);

        Assert.Equal(350_000, (await fixture.CloseLeaseAsync(lease.LeaseId, 50_000)).Body!.ReleasedMicros);
        await WaitForStateAsync(lease.LeaseId, "expired");

        Assert.Equal((1_000_000L, 0L), await fixture.WalletAsync(wallet));
        Assert.Equal((400_000L, 0L, 0L, "expired"), await fixture.LeaseRowAsync(lease.LeaseId));
    }

    [Fact]
    public async Task Settlement_after_expiry_is_late_and_never_takes_the_wallet_below_zero()
    {
        var wallet = await fixture.CreateWalletAsync(500_000);
        var lease = BillingFixture.Lease(wallet, target: 400_000, reserveSeconds: 1);
        await fixture.GrantedLeaseAsync(lease);
        await WaitForStateAsync(lease.LeaseId, "expired");
        // Meanwhile another request holds most of the wallet, leaving 100_000 available (and keeps it for this test).
        var other = BillingFixture.Hold(wallet, 400_000);
        Assert.Equal(200, (await fixture.HoldAsync(other)).Status);
        await fixture.ScalarAsync<object>("UPDATE holds SET created_at = now() + interval '1 hour' WHERE request_id = $1 RETURNING 1", other.RequestId);
        var request = BillingFixture.LeasedCompleted(lease, 300_000);

        await fixture.SendSettlementAsync(request);
        await fixture.WaitForConsumedAsync(request.RequestId, 1);

        Assert.Equal((400_000L, 400_000L), await fixture.WalletAsync(wallet));
        Assert.True(await fixture.ScalarAsync<bool>(
            "SELECT 'late' = ANY(flags) AND 'uncollected' = ANY(flags) AND amount = 100000 AND reserved_delta = 0 FROM ledger_entries WHERE request_id = $1 AND kind = 'capture'",
            request.RequestId));
        Assert.Contains("uncollected 200000", await fixture.ScalarAsync<string>(
            "SELECT note FROM ledger_entries WHERE request_id = $1 AND kind = 'capture'", request.RequestId));
        Assert.Equal(0L, (await fixture.LeaseRowAsync(lease.LeaseId)).Captured);

        // Nothing left to collect: the next one is recorded at zero; replays do nothing.
        var broke = BillingFixture.LeasedCompleted(lease, 10_000);
        await fixture.SendSettlementAsync(broke);
        await fixture.SendSettlementAsync(request);
        await fixture.WaitForConsumedAsync(broke.RequestId, 1);
        await fixture.WaitForConsumedAsync(request.RequestId, 2);
        Assert.Equal((400_000L, 400_000L), await fixture.WalletAsync(wallet));
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT amount FROM ledger_entries WHERE request_id = $1 AND kind = 'capture'", broke.RequestId));
    }

    private async Task WaitForStateAsync(string leaseId, string state)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await fixture.LeaseRowAsync(leaseId)).State != state)
        {
            Assert.True(DateTime.UtcNow < deadline, $"lease {leaseId} did not become {state}");
            await Task.Delay(200);
        }
    }
}
