namespace NexRelay.Billing.Tests.Settlement;

/// <summary>A cost the edge estimated (no final usage from the upstream) is flagged 'estimated' on its capture entry, on every path.</summary>
public sealed class EstimatedCaptureTests(BillingFixture fixture) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task Estimated_costs_are_flagged_on_held_and_leased_captures_and_exact_ones_are_not()
    {
        var (wallet, lease) = await fixture.WalletWithLeaseAsync(10_000_000, target: 1_000_000);
        var estimatedHold = BillingFixture.Hold(wallet, 100_000);
        var exactHold = BillingFixture.Hold(wallet, 100_000);
        foreach (var hold in new[] { estimatedHold, exactHold }) Assert.Equal(200, (await fixture.HoldAsync(hold)).Status);
        var estimatedLeased = BillingFixture.LeasedCompleted(lease, 2_000) with { UsageEstimated = true };
        var exactLeased = BillingFixture.LeasedCompleted(lease, 3_000);
        // Beyond what the lease holds: settled one at a time, part late.
        var estimatedBeyond = BillingFixture.LeasedCompleted(lease, 1_200_000, heldMicros: 1_200_000) with { UsageEstimated = true };

        await fixture.SendSettlementsAsync(
            BillingFixture.Completed(estimatedHold, 40_000) with { UsageEstimated = true },
            BillingFixture.Completed(exactHold, 50_000),
            estimatedLeased, exactLeased, estimatedBeyond);
        foreach (var id in new[] { estimatedHold.RequestId, exactHold.RequestId, estimatedLeased.RequestId, exactLeased.RequestId, estimatedBeyond.RequestId })
        {
            await fixture.WaitForConsumedAsync(id, 1);
        }

        async Task<bool> Flagged(string requestId) => await fixture.ScalarAsync<bool>(
            "SELECT bool_and('estimated' = ANY(flags)) FROM ledger_entries WHERE request_id = $1 AND kind = 'capture'", requestId);
        Assert.True(await Flagged(estimatedHold.RequestId));
        Assert.True(await Flagged(estimatedLeased.RequestId));
        Assert.True(await Flagged(estimatedBeyond.RequestId));
        Assert.False(await Flagged(exactHold.RequestId));
        Assert.False(await Flagged(exactLeased.RequestId));
        // Only captures carry it: the release of the estimated hold's rest does not.
        Assert.False(await fixture.ScalarAsync<bool>(
            "SELECT 'estimated' = ANY(flags) FROM ledger_entries WHERE request_id = $1 AND kind = 'release'", estimatedHold.RequestId));
        // The setting is transaction-local: a later batch's captures are not flagged by it.
        var later = BillingFixture.Hold(wallet, 100_000);
        Assert.Equal(200, (await fixture.HoldAsync(later)).Status);
        await fixture.SendSettlementAsync(BillingFixture.Completed(later, 10_000));
        await fixture.WaitForConsumedAsync(later.RequestId, 1);
        Assert.False(await Flagged(later.RequestId));
    }
}
