namespace NexRelay.Billing.Tests.Settlement;

/// <summary>Holds whose edge never settles them, on a billing service with a one-second hold timeout.</summary>
public sealed class OrphanedHoldTests(ShortHoldTimeoutFixture fixture) : IClassFixture<ShortHoldTimeoutFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task Orphaned_hold_is_released_after_the_timeout()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var key = Guid.NewGuid();
        var hold = BillingFixture.Hold(wallet, 400_000, key, budget: 1_000_000);
        Assert.Equal(200, (await fixture.HoldAsync(hold)).Status);

        await WaitForStateAsync(hold.RequestId, "expired");

        Assert.Equal((1_000_000L, 0L), await fixture.WalletAsync(wallet));
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT reserved FROM key_budgets WHERE key_id = $1", key));
        Assert.True(await fixture.ScalarAsync<bool>(
            "SELECT 'expired' = ANY(flags) FROM ledger_entries WHERE request_id = $1 AND kind = 'release'", hold.RequestId));
    }

    [Fact]
    public async Task Late_settlement_after_expiry_is_captured_in_full_when_the_wallet_can_pay()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var hold = BillingFixture.Hold(wallet, 400_000);
        Assert.Equal(200, (await fixture.HoldAsync(hold)).Status);
        await WaitForStateAsync(hold.RequestId, "expired");

        await fixture.SendSettlementAsync(BillingFixture.Completed(hold, 150_000));
        await fixture.WaitForConsumedAsync(hold.RequestId, 1);

        Assert.Equal((850_000L, 0L), await fixture.WalletAsync(wallet));
        Assert.Equal("settled", await fixture.ScalarAsync<string>("SELECT state FROM holds WHERE request_id = $1", hold.RequestId));
        Assert.True(await fixture.ScalarAsync<bool>(
            "SELECT 'late' = ANY(flags) AND NOT 'uncollected' = ANY(flags) FROM ledger_entries WHERE request_id = $1 AND kind = 'capture'", hold.RequestId));
    }

    [Fact]
    public async Task Late_settlement_never_takes_a_wallet_below_zero_and_records_what_went_uncollected()
    {
        var wallet = await fixture.CreateWalletAsync(500_000);
        var orphan = BillingFixture.Hold(wallet, 400_000);
        Assert.Equal(200, (await fixture.HoldAsync(orphan)).Status);
        await WaitForStateAsync(orphan.RequestId, "expired");
        // Meanwhile another request holds most of the wallet, leaving 100_000 available.
        var other = BillingFixture.Hold(wallet, 400_000);
        Assert.Equal(200, (await fixture.HoldAsync(other)).Status);
        // ...and keeps it for this test (the fixture's one-second timeout would otherwise expire it too).
        await fixture.ScalarAsync<object>("UPDATE holds SET created_at = now() + interval '1 hour' WHERE request_id = $1 RETURNING 1", other.RequestId);

        await fixture.SendSettlementAsync(BillingFixture.Completed(orphan, 300_000));
        await fixture.WaitForConsumedAsync(orphan.RequestId, 1);

        // Collected 100_000 of 300_000: available is exactly zero, the other request's hold is intact.
        Assert.Equal((400_000L, 400_000L), await fixture.WalletAsync(wallet));
        Assert.Equal(100_000L, await fixture.ScalarAsync<long>("SELECT amount FROM ledger_entries WHERE request_id = $1 AND kind = 'capture'", orphan.RequestId));
        Assert.Contains("uncollected 200000", await fixture.ScalarAsync<string>(
            "SELECT note FROM ledger_entries WHERE request_id = $1 AND kind = 'capture'", orphan.RequestId));
        // Replaying the late settlement does nothing more.
        await fixture.SendSettlementAsync(BillingFixture.Completed(orphan, 300_000));
        await fixture.WaitForConsumedAsync(orphan.RequestId, 2);
        Assert.Equal((400_000L, 400_000L), await fixture.WalletAsync(wallet));
    }

    [Fact]
    public async Task Late_settlement_never_takes_a_key_over_its_budget_and_flags_a_clamped_cost()
    {
        var wallet = await fixture.CreateWalletAsync(2_000_000);
        var key = Guid.NewGuid();
        var orphan = BillingFixture.Hold(wallet, 400_000, key, budget: 1_000_000);
        Assert.Equal(200, (await fixture.HoldAsync(orphan)).Status);
        await WaitForStateAsync(orphan.RequestId, "expired");
        // Meanwhile another request of the same key reserves most of its budget, leaving 200_000 of room (the wallet has plenty).
        var other = BillingFixture.Hold(wallet, 800_000, key, budget: 1_000_000);
        Assert.Equal(200, (await fixture.HoldAsync(other)).Status);
        await fixture.ScalarAsync<object>("UPDATE holds SET created_at = now() + interval '1 hour' WHERE request_id = $1 RETURNING 1", other.RequestId);

        // Reported 500_000: clamped to the 400_000 hold, of which the budget's room allows 200_000.
        await fixture.SendSettlementAsync(BillingFixture.Completed(orphan, 500_000));
        await fixture.WaitForConsumedAsync(orphan.RequestId, 1);

        Assert.Equal((1_800_000L, 800_000L), await fixture.WalletAsync(wallet));
        Assert.Equal((200_000L, 800_000L), await fixture.BucketAsync(key));
        Assert.Equal(200_000L, await fixture.ScalarAsync<long>("SELECT captured FROM holds WHERE request_id = $1", orphan.RequestId));
        Assert.Equal("late,clamped,uncollected", await fixture.ScalarAsync<string>(
            "SELECT array_to_string(flags, ',') FROM ledger_entries WHERE request_id = $1 AND kind = 'capture'", orphan.RequestId));
        Assert.Equal("late capture after the hold expired: cost 400000 (reported 500000), collected 200000, uncollected 200000",
            await fixture.ScalarAsync<string>("SELECT note FROM ledger_entries WHERE request_id = $1 AND kind = 'capture'", orphan.RequestId));
    }

    private async Task WaitForStateAsync(string requestId, string state)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await fixture.ScalarAsync<string>("SELECT state FROM holds WHERE request_id = $1", requestId) != state)
        {
            Assert.True(DateTime.UtcNow < deadline, $"hold {requestId} did not become {state}");
            await Task.Delay(200);
        }
    }
}
