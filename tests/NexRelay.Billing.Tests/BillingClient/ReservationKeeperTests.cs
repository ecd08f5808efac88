using Microsoft.Extensions.Configuration;
using NexRelay.Contracts.Messages;
using NexRelay.Billing.Client;

namespace NexRelay.Billing.Tests.BillingClient;

/// <summary>
/// The edge's <see cref="ReservationKeeper"/> (services/NexRelay.Billing.Client, as the edge uses it) against the real billing service:
/// a finished request's hold or lease is renewed until RabbitMQ confirms its event, and what a previous process left in the
/// spool is renewed at once.
/// </summary>
public sealed class ReservationKeeperTests(BillingFixture fixture) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    private readonly ManualTime _clock = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task A_finished_requests_hold_is_renewed_until_its_event_is_confirmed()
    {
        using var host = EdgeHost();
        var keeper = host.Services.GetRequiredService<ReservationKeeper>();
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var hold = BillingFixture.Hold(wallet, 100_000);
        Assert.Equal(200, (await fixture.HoldAsync(hold)).Status);
        keeper.Track(hold.RequestId, holdTimeoutSeconds: 900);

        // The request finished; its event waits for RabbitMQ. A third of the timeout later the hold is renewed.
        await keeper.RenewDueAsync(CancellationToken.None);
        Assert.False(await AliveAsync("holds", "request_id", hold.RequestId));
        _clock.Advance(TimeSpan.FromSeconds(301));
        await keeper.RenewDueAsync(CancellationToken.None);
        Assert.True(await AliveAsync("holds", "request_id", hold.RequestId));

        // Confirmed: no longer kept.
        keeper.Confirmed([Event(hold.RequestId, leaseId: null)]);
        Assert.Equal(0, keeper.TrackedHolds);
        await fixture.ExecuteAsync($"UPDATE holds SET alive_at = NULL WHERE request_id = '{hold.RequestId}'");
        _clock.Advance(TimeSpan.FromSeconds(301));
        await keeper.RenewDueAsync(CancellationToken.None);
        Assert.False(await AliveAsync("holds", "request_id", hold.RequestId));
        await ReleaseAsync(hold.RequestId);
    }

    [Fact]
    public async Task A_lease_closed_with_requests_awaiting_confirmation_is_renewed_until_the_last_is_confirmed()
    {
        using var host = EdgeHost();
        var keeper = host.Services.GetRequiredService<ReservationKeeper>();
        var wallet = await fixture.CreateWalletAsync(2_000_000);
        var request = BillingFixture.Lease(wallet, target: 500_000, reserveSeconds: 1);
        var granted = await fixture.GrantedLeaseAsync(request);
        var lease = new CreditLease(request.LeaseId, request.KeyId, wallet, granted.GrantedMicros, granted.BudgetPeriodKey, null, "total",
            granted.ReserveUntil, holdTimeoutSeconds: 900);
        keeper.AwaitSettlement(lease);
        keeper.AwaitSettlement(lease);
        Assert.Equal(200, (await fixture.CloseLeaseAsync(request.LeaseId, 200_000)).Status);

        _clock.Advance(TimeSpan.FromSeconds(301));
        await keeper.RenewDueAsync(CancellationToken.None);
        Assert.True(await AliveAsync("leases", "lease_id", request.LeaseId));

        keeper.Confirmed([Event("req_a", request.LeaseId)]);
        Assert.Equal(1, keeper.AwaitingLeases);
        keeper.Confirmed([Event("req_b", request.LeaseId)]);
        Assert.Equal(0, keeper.AwaitingLeases);
        await fixture.ExecuteAsync($"UPDATE leases SET alive_at = NULL WHERE lease_id = '{request.LeaseId}'");
        _clock.Advance(TimeSpan.FromSeconds(301));
        await keeper.RenewDueAsync(CancellationToken.None);
        Assert.False(await AliveAsync("leases", "lease_id", request.LeaseId));
        await SettleLeaseAsync(request.LeaseId, wallet, request.KeyId);
    }

    [Fact]
    public async Task Events_a_previous_process_left_in_the_spool_have_their_reservations_renewed_at_once()
    {
        using var host = EdgeHost();
        var keeper = host.Services.GetRequiredService<ReservationKeeper>();
        var wallet = await fixture.CreateWalletAsync(2_000_000);
        var hold = BillingFixture.Hold(wallet, 100_000);
        Assert.Equal(200, (await fixture.HoldAsync(hold)).Status);
        var request = BillingFixture.Lease(wallet, target: 500_000, reserveSeconds: 1);
        await fixture.GrantedLeaseAsync(request);
        Assert.Equal(200, (await fixture.CloseLeaseAsync(request.LeaseId, 200_000)).Status);

        // A free request (nothing held) is not tracked.
        keeper.Unconfirmed([Event(hold.RequestId, leaseId: null), Event("req_lease", request.LeaseId), Event("req_free", null) with { HeldMicros = 0 }]);
        Assert.Equal(1, keeper.TrackedHolds);
        Assert.Equal(1, keeper.AwaitingLeases);
        await keeper.RenewDueAsync(CancellationToken.None);
        Assert.True(await AliveAsync("holds", "request_id", hold.RequestId));
        Assert.True(await AliveAsync("leases", "lease_id", request.LeaseId));
        await ReleaseAsync(hold.RequestId);
        await SettleLeaseAsync(request.LeaseId, wallet, request.KeyId);
    }

    private IHost EdgeHost()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["services:billing:http:0"] = fixture.BaseAddress.GetLeftPart(UriPartial.Authority),
            ["NexRelay:InternalToken"] = BillingFixture.InternalToken,
        });
        builder.Services.AddSingleton<TimeProvider>(_clock);
        builder.AddServiceDefaults();
        builder.AddBillingClient();
        return builder.Build();
    }

    private static RequestCompleted Event(string requestId, string? leaseId) => new()
    {
        RequestId = requestId,
        CreatedAt = DateTimeOffset.UtcNow,
        ClientFormat = "openai",
        Route = "/api/v1/chat/completions",
        Status = 200,
        HeldMicros = 100_000,
        LeaseId = leaseId,
    };

    private async Task<bool> AliveAsync(string table, string idColumn, string id) =>
        await fixture.ScalarAsync<bool>($"SELECT alive_at IS NOT NULL FROM {table} WHERE {idColumn} = $1", id);

    /// <summary>Settles the hold at zero, so the fixture's books close.</summary>
    private Task ReleaseAsync(string requestId) => fixture.SendSettlementsAsync(Event(requestId, null) with { HeldMicros = 100_000, CostMicros = 0 });

    /// <summary>Captures what the closed lease spent, so the fixture's books close.</summary>
    private Task SettleLeaseAsync(string leaseId, Guid wallet, Guid keyId) =>
        fixture.SendSettlementsAsync(Event("req_" + Guid.NewGuid().ToString("N"), leaseId) with { WalletId = wallet, KeyId = keyId, HeldMicros = 200_000, CostMicros = 200_000 });

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
