using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using NexRelay.Contracts.Billing;
using NexRelay.Billing.Client;

namespace NexRelay.Billing.Tests.BillingClient;

/// <summary>The edge's <see cref="CreditLeases"/> (services/NexRelay.Billing.Client, as the edge uses it) against the real billing service.</summary>
public sealed class CreditLeasesTests(BillingFixture fixture) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    private IHost EdgeHost(long targetMicros = 1_000_000, int minimumRequests = 16, int idleMs = 60_000, string? billing = null,
        int attemptTimeoutMs = 1500)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["services:billing:http:0"] = billing ?? fixture.BaseAddress.GetLeftPart(UriPartial.Authority),
            ["NexRelay:InternalToken"] = BillingFixture.InternalToken,
            ["Holds:AttemptTimeoutMilliseconds"] = attemptTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Holds:Leases:TargetMicros"] = targetMicros.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Holds:Leases:MinimumRequests"] = minimumRequests.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Holds:Leases:IdleReturnMilliseconds"] = idleMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Holds:Leases:SweepMilliseconds"] = "50",
        });
        builder.AddServiceDefaults();
        builder.AddBillingClient();
        return builder.Build();
    }

    private static HoldRequest Request(Guid wallet, Guid key, long amount, long? budget = null) => new()
    {
        RequestId = "req_" + Guid.NewGuid().ToString("N"),
        WalletId = wallet,
        KeyId = key,
        AmountMicros = amount,
        BudgetMicros = budget,
    };

    [Fact]
    public async Task Unreachable_billing_fails_a_lease_fast_with_BillingUnavailableException()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        using var host = EdgeHost(billing: $"http://127.0.0.1:{port}", attemptTimeoutMs: 500);
        var leases = host.Services.GetRequiredService<CreditLeases>();
        var watch = Stopwatch.StartNew();

        await Assert.ThrowsAsync<BillingUnavailableException>(() => leases.TryReserveAsync(Request(Guid.NewGuid(), Guid.NewGuid(), 10)).AsTask());

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
        // Billing may have granted it before the answer was lost: kept, retired and empty, for the sweep to close at zero.
        var orphan = Assert.Single(leases.Live);
        Assert.Equal((true, 0L, 0L), (orphan.Retired, orphan.GrantedMicros, orphan.SpentMicros));
    }

    [Fact]
    public async Task Billing_that_accepts_but_never_answers_fails_a_lease_with_a_timeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        using var host = EdgeHost(billing: $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}", attemptTimeoutMs: 300);
        var leases = host.Services.GetRequiredService<CreditLeases>();
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<BillingUnavailableException>(() => leases.TryReserveAsync(Request(Guid.NewGuid(), Guid.NewGuid(), 10)).AsTask());

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
        Assert.IsType<TimeoutException>(error.InnerException);
    }

    [Fact]
    public async Task A_5xx_from_billing_is_retried_and_the_lease_opens_on_the_next_attempt()
    {
        await using var billing = await ScriptedBilling.StartAsync(fixture.BaseAddress, ScriptedBilling.Answer(HttpStatusCode.ServiceUnavailable));
        using var host = EdgeHost(targetMicros: 1_000_000, billing: billing.Url);
        var leases = host.Services.GetRequiredService<CreditLeases>();
        var wallet = await fixture.CreateWalletAsync(10_000_000);

        var lease = await leases.TryReserveAsync(Request(wallet, Guid.NewGuid(), 1_000));

        Assert.NotNull(lease);
        Assert.Equal(["/internal/leases", "/internal/leases"], billing.Calls);
        Assert.Equal((10_000_000L, 1_000_000L), await fixture.WalletAsync(wallet));
        Assert.Equal(1_000_000, lease.GrantedMicros);
    }

    [Fact]
    public async Task A_4xx_from_billing_fails_the_lease_without_a_retry_and_leaves_nothing_reserved()
    {
        await using var billing = await ScriptedBilling.StartAsync(fixture.BaseAddress,
            ScriptedBilling.Answer(HttpStatusCode.BadRequest, """{"title":"bad lease request"}"""));
        using var host = EdgeHost(billing: billing.Url);
        var leases = host.Services.GetRequiredService<CreditLeases>();
        var wallet = await fixture.CreateWalletAsync(10_000_000);

        var error = await Assert.ThrowsAsync<BillingUnavailableException>(() => leases.TryReserveAsync(Request(wallet, Guid.NewGuid(), 1_000)).AsTask());

        Assert.Contains("400", error.Message, StringComparison.Ordinal);
        Assert.Contains("bad lease request", error.Message, StringComparison.Ordinal);
        Assert.Single(billing.Calls);
        // Closing the lease of unknown outcome (billing never had it) is answered by the real billing: nothing to release.
        await leases.SweepAsync(retireAll: false, CancellationToken.None);
        Assert.Empty(leases.Live);
        Assert.Equal((10_000_000L, 0L), await fixture.WalletAsync(wallet));
    }

    [Fact]
    public async Task A_lease_close_that_meets_a_5xx_is_retried_by_the_next_sweep()
    {
        // Opening is forwarded; both attempts of the first close fail; the next sweep's close is forwarded.
        await using var billing = await ScriptedBilling.StartAsync(fixture.BaseAddress, null,
            ScriptedBilling.Answer(HttpStatusCode.InternalServerError), ScriptedBilling.Answer(HttpStatusCode.BadGateway));
        using var host = EdgeHost(targetMicros: 1_000_000, billing: billing.Url);
        var leases = host.Services.GetRequiredService<CreditLeases>();
        var wallet = await fixture.CreateWalletAsync(10_000_000);
        var key = Guid.NewGuid();
        var lease = (await leases.TryReserveAsync(Request(wallet, key, 5_000)))!;
        leases.Complete(lease, 5_000, 2_000);
        leases.Retire(key);

        await leases.SweepAsync(retireAll: false, CancellationToken.None);
        Assert.False(lease.Closed);
        Assert.Equal((10_000_000L, 1_000_000L), await fixture.WalletAsync(wallet));

        await leases.SweepAsync(retireAll: false, CancellationToken.None);
        Assert.True(lease.Closed);
        Assert.Empty(leases.Live);
        Assert.Equal(4, billing.Calls.Count);
        Assert.Equal((10_000_000L, 2_000L), await fixture.WalletAsync(wallet));
    }

    [Fact]
    public async Task A_wallet_billing_does_not_know_gets_no_lease_and_no_error()
    {
        using var host = EdgeHost();
        var leases = host.Services.GetRequiredService<CreditLeases>();

        Assert.Null(await leases.TryReserveAsync(Request(Guid.NewGuid(), Guid.NewGuid(), 10)));
        Assert.Empty(leases.Live);
    }

    [Fact]
    public async Task A_burst_of_requests_takes_one_lease_and_holds_in_memory_against_it()
    {
        using var host = EdgeHost(targetMicros: 1_000_000);
        var leases = host.Services.GetRequiredService<CreditLeases>();
        var wallet = await fixture.CreateWalletAsync(10_000_000);
        var key = Guid.NewGuid();

        var held = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => leases.TryReserveAsync(Request(wallet, key, 1_000)).AsTask()));

        Assert.All(held, Assert.NotNull);
        Assert.Single(held.Select(l => l!.Id).Distinct());
        // Billing reserved the lease once: 1 USD of the 10, not 50 holds.
        Assert.Equal((10_000_000L, 1_000_000L), await fixture.WalletAsync(wallet));
        Assert.Equal(50_000, held[0]!.ReservedMicros);
    }

    [Fact]
    public async Task A_closed_lease_keeps_only_what_was_spent_reserved()
    {
        using var host = EdgeHost(targetMicros: 1_000_000);
        var leases = host.Services.GetRequiredService<CreditLeases>();
        var wallet = await fixture.CreateWalletAsync(10_000_000);
        var key = Guid.NewGuid();
        var lease = (await leases.TryReserveAsync(Request(wallet, key, 5_000)))!;
        Assert.NotNull(await leases.TryReserveAsync(Request(wallet, key, 5_000)));
        leases.Complete(lease, 5_000, 1_234);
        leases.Complete(lease, 5_000, 0);

        leases.Retire(key);
        await leases.SweepAsync(retireAll: false, CancellationToken.None);

        Assert.True(lease.Closed);
        Assert.Empty(leases.Live);
        // The spent part stays reserved until the requests' settlements capture it.
        Assert.Equal((10_000_000L, 1_234L), await fixture.WalletAsync(wallet));
        var (granted, heldAfter, captured, state) = await fixture.LeaseRowAsync(lease.Id);
        Assert.Equal((1_000_000L, 1_234L, 0L, "closed"), (granted, heldAfter, captured, state));
    }

    [Fact]
    public async Task An_idle_lease_is_returned_by_the_sweep()
    {
        using var host = EdgeHost(targetMicros: 1_000_000, idleMs: 100);
        await host.StartAsync();
        var leases = host.Services.GetRequiredService<CreditLeases>();
        var wallet = await fixture.CreateWalletAsync(10_000_000);
        var lease = (await leases.TryReserveAsync(Request(wallet, Guid.NewGuid(), 5_000)))!;
        leases.Complete(lease, 5_000, 0);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!lease.Closed && DateTime.UtcNow < deadline) await Task.Delay(50);

        Assert.True(lease.Closed);
        Assert.Equal((10_000_000L, 0L), await fixture.WalletAsync(wallet));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_small_balance_gets_no_lease_and_the_request_holds_at_billing()
    {
        using var host = EdgeHost(targetMicros: 1_000_000, minimumRequests: 16);
        var leases = host.Services.GetRequiredService<CreditLeases>();
        // A quarter of 100,000 is less than 16 × 5,000.
        var wallet = await fixture.CreateWalletAsync(100_000);

        Assert.Null(await leases.TryReserveAsync(Request(wallet, Guid.NewGuid(), 5_000)));
        Assert.Equal((100_000L, 0L), await fixture.WalletAsync(wallet));
    }

    [Fact]
    public async Task A_request_too_large_for_a_lease_holds_at_billing_without_asking()
    {
        using var host = EdgeHost(targetMicros: 1_000_000, minimumRequests: 16);
        var leases = host.Services.GetRequiredService<CreditLeases>();
        var wallet = await fixture.CreateWalletAsync(100_000_000);

        Assert.Null(await leases.TryReserveAsync(Request(wallet, Guid.NewGuid(), 100_000)));
        Assert.Equal((100_000_000L, 0L), await fixture.WalletAsync(wallet));
    }

    [Fact]
    public async Task A_used_up_lease_is_followed_by_a_new_one_and_the_wallet_is_never_overdrawn()
    {
        using var host = EdgeHost(targetMicros: 100_000, minimumRequests: 4);
        var leases = host.Services.GetRequiredService<CreditLeases>();
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var key = Guid.NewGuid();

        var held = new List<CreditLease>();
        for (var i = 0; i < 400; i++)
        {
            if (await leases.TryReserveAsync(Request(wallet, key, 10_000)) is not { } lease) break;
            held.Add(lease);
        }

        // Every lease is at most a quarter of what was available when it was taken, so the wallet is never overdrawn and the
        // last requests find leases too small (they would hold at billing, which refuses them exactly).
        var (balance, reserved) = await fixture.WalletAsync(wallet);
        Assert.Equal(1_000_000, balance);
        Assert.True(reserved <= balance);
        Assert.Equal(reserved, held.DistinctBy(l => l.Id).Sum(l => l.GrantedMicros));
        Assert.Equal(held.Count * 10_000L, held.DistinctBy(l => l.Id).Sum(l => l.ReservedMicros));
        Assert.True(held.Select(l => l.Id).Distinct().Count() > 1);
    }

    [Fact]
    public async Task A_change_of_budget_policy_takes_a_fresh_lease()
    {
        using var host = EdgeHost(targetMicros: 1_000_000);
        var leases = host.Services.GetRequiredService<CreditLeases>();
        var wallet = await fixture.CreateWalletAsync(10_000_000);
        var key = Guid.NewGuid();

        var first = (await leases.TryReserveAsync(Request(wallet, key, 1_000)))!;
        var second = (await leases.TryReserveAsync(Request(wallet, key, 1_000, budget: 2_000_000)))!;

        Assert.NotEqual(first.Id, second.Id);
        Assert.True(first.Retired);
        Assert.Equal(2_000_000, second.BudgetMicros);
        // The budget bounds the new lease: a quarter of its room, which the first lease (still reserved until the sweep
        // closes it) counts against: (2,000,000 − 1,000,000) ÷ 4.
        Assert.Equal(250_000, second.GrantedMicros);
    }
}
