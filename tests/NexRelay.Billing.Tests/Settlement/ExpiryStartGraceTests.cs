namespace NexRelay.Billing.Tests.Settlement;

/// <summary>
/// After billing starts, the sweeper waits <c>Billing:ExpiryStartGraceSeconds</c> before releasing anything: while billing was
/// down the edges could not renew, and their retried renewals must land before a reservation still needed looks orphaned.
/// </summary>
public sealed class ExpiryStartGraceTests(StartGraceFixture fixture) : IClassFixture<StartGraceFixture>
{
    [Fact]
    public async Task Nothing_is_released_in_the_grace_after_start_and_orphans_are_released_after_it()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var hold = BillingFixture.Hold(wallet, 100_000);
        Assert.Equal(200, (await fixture.HoldAsync(hold)).Status);

        // Two hold lifetimes pass unrenewed: an orphan, yet held while the grace lasts.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var state = await fixture.ScalarAsync<string>("SELECT state FROM holds WHERE request_id = $1", hold.RequestId);
        if (fixture.StartedAt.Elapsed < TimeSpan.FromSeconds(StartGraceFixture.GraceSeconds - 1)) Assert.Equal("held", state);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await fixture.ScalarAsync<string>("SELECT state FROM holds WHERE request_id = $1", hold.RequestId) != "expired")
        {
            Assert.True(DateTime.UtcNow < deadline, "the orphaned hold was not released after the grace");
            await Task.Delay(200);
        }
        Assert.True(fixture.StartedAt.Elapsed >= TimeSpan.FromSeconds(StartGraceFixture.GraceSeconds), $"released {fixture.StartedAt.Elapsed} after start");
        Assert.Equal((1_000_000L, 0L), await fixture.WalletAsync(wallet));
    }
}
