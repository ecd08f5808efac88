using System.Net.Http.Json;
using NexRelay.Contracts.Billing;

namespace NexRelay.Billing.Tests.Settlement;

/// <summary>
/// POST /internal/reservations/renew on a billing service with a six-second hold timeout: a renewed hold or lease outlives
/// the timeout for as long as it is renewed, and is released as an orphan once renewals stop.
/// </summary>
public sealed class ReservationRenewalTests(RenewalTimeoutFixture fixture) : IClassFixture<RenewalTimeoutFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task A_renewed_hold_and_lease_outlive_the_timeout_and_expire_once_renewals_stop()
    {
        var wallet = await fixture.CreateWalletAsync(2_000_000);
        var hold = BillingFixture.Hold(wallet, 400_000);
        var (status, granted) = await fixture.HoldAsync(hold);
        Assert.Equal(200, status);
        Assert.Equal(RenewalTimeoutFixture.TimeoutSeconds, granted.HoldTimeoutSeconds);
        var lease = BillingFixture.Lease(wallet, target: 500_000, reserveSeconds: 1);
        Assert.Equal(RenewalTimeoutFixture.TimeoutSeconds, (await fixture.GrantedLeaseAsync(lease)).HoldTimeoutSeconds);

        // Over more than two timeouts (a sweep every second) renewed every 300 ms: nothing is released.
        await RenewForTwoTimeoutsAsync(async () =>
        {
            var renewed = await RenewAsync([hold.RequestId], [lease.LeaseId]);
            return renewed.Holds == 1 && renewed.Leases == 1;
        });
        Assert.Equal("held", await fixture.ScalarAsync<string>("SELECT state FROM holds WHERE request_id = $1", hold.RequestId));
        Assert.Equal("open", (await fixture.LeaseRowAsync(lease.LeaseId)).State);
        Assert.Equal((2_000_000L, 900_000L), await fixture.WalletAsync(wallet));

        // Renewals stop (the edge died): both are orphans one timeout later.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await fixture.ScalarAsync<string>("SELECT state FROM holds WHERE request_id = $1", hold.RequestId) != "expired"
            || (await fixture.LeaseRowAsync(lease.LeaseId)).State != "expired")
        {
            Assert.True(DateTime.UtcNow < deadline, "the reservations were not released after renewals stopped");
            await Task.Delay(200);
        }
        Assert.Equal((2_000_000L, 0L), await fixture.WalletAsync(wallet));
        // An expired or settled reservation is not renewed back to life.
        Assert.Equal((0, 0), (await RenewAsync([hold.RequestId], [lease.LeaseId])) is var r ? (r.Holds, r.Leases) : default);
    }

    [Fact]
    public async Task A_closed_lease_awaiting_its_captures_is_renewed_like_an_open_one_and_expires_once_renewals_stop()
    {
        // The edge closed the lease having spent 300,000 of it; the captures are still on their way (a broker outage).
        var wallet = await fixture.CreateWalletAsync(2_000_000);
        var lease = BillingFixture.Lease(wallet, target: 500_000, reserveSeconds: 1);
        await fixture.GrantedLeaseAsync(lease);
        Assert.Equal(200, (await fixture.CloseLeaseAsync(lease.LeaseId, 300_000)).Status);
        Assert.Equal("closed", (await fixture.LeaseRowAsync(lease.LeaseId)).State);

        await RenewForTwoTimeoutsAsync(async () => (await RenewAsync([], [lease.LeaseId])).Leases == 1);
        Assert.Equal("closed", (await fixture.LeaseRowAsync(lease.LeaseId)).State);
        Assert.Equal((2_000_000L, 300_000L), await fixture.WalletAsync(wallet));

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await fixture.LeaseRowAsync(lease.LeaseId)).State != "expired")
        {
            Assert.True(DateTime.UtcNow < deadline, "the closed lease was not released after renewals stopped");
            await Task.Delay(200);
        }
        Assert.Equal((2_000_000L, 0L), await fixture.WalletAsync(wallet));
        Assert.Equal(0, (await RenewAsync([], [lease.LeaseId])).Leases);
    }

    [Fact]
    public async Task A_renewal_of_unknown_ids_renews_nothing_and_bad_bodies_are_refused()
    {
        var renewed = await RenewAsync(["req_unknown"], ["lease_unknown"]);
        Assert.Equal((0, 0), (renewed.Holds, renewed.Leases));
        using var bad = await fixture.Client.PostAsJsonAsync("/internal/reservations/renew", new { holds = new[] { "" } });
        Assert.True(400 == (int)bad.StatusCode, await bad.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// Renews every 300 ms for a little over two hold timeouts; each renewal must find what it renews alive. The gap since the
    /// previous renewal goes in the failure message: only a stall longer than the timeout could expire it legitimately.
    /// </summary>
    private static async Task RenewForTwoTimeoutsAsync(Func<Task<bool>> renew)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var previous = TimeSpan.Zero;
        var renewals = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(RenewalTimeoutFixture.TimeoutSeconds * 2.2))
        {
            var started = clock.Elapsed;
            Assert.True(await renew(), $"renewal {renewals + 1} found nothing alive to renew, {(started - previous).TotalMilliseconds:0} ms after the previous one");
            previous = clock.Elapsed;
            renewals++;
            await Task.Delay(300);
        }
    }

    private async Task<RenewResponse> RenewAsync(string[] holds, string[] leases)
    {
        using var response = await fixture.Client.PostAsJsonAsync("/internal/reservations/renew", new RenewRequest { Holds = holds, Leases = leases });
        Assert.Equal(200, (int)response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<RenewResponse>())!;
    }
}
