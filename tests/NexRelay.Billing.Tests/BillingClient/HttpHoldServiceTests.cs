using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using NexRelay.Billing.Client;

namespace NexRelay.Billing.Tests.BillingClient;

/// <summary>The edge's <see cref="IHoldService"/> (services/NexRelay.Billing.Client, as the edge uses it) against the real billing service.</summary>
public sealed class HttpHoldServiceTests(BillingFixture fixture) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    private static IHost EdgeHost(string billingAddress, int attemptTimeoutMs = 1500)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // How Aspire hands the edge billing's address; the client's base address stays http://billing.
            ["services:billing:http:0"] = billingAddress,
            ["NexRelay:InternalToken"] = BillingFixture.InternalToken,
            ["Holds:AttemptTimeoutMilliseconds"] = attemptTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.AddServiceDefaults();
        builder.AddBillingClient();
        return builder.Build();
    }

    private string BillingAddress => fixture.BaseAddress.GetLeftPart(UriPartial.Authority);

    [Fact]
    public async Task Hold_through_the_edge_client_is_granted_then_refused_when_the_wallet_is_short()
    {
        using var host = EdgeHost(BillingAddress);
        var holds = host.Services.GetRequiredService<IHoldService>();
        var wallet = await fixture.CreateWalletAsync(150_000);

        var granted = await holds.HoldAsync(BillingFixture.Hold(wallet, 100_000), CancellationToken.None);
        var refused = await holds.HoldAsync(BillingFixture.Hold(wallet, 100_000), CancellationToken.None);

        Assert.True(granted.Granted);
        Assert.Equal("total", granted.BudgetPeriodKey);
        Assert.False(refused.Granted);
        Assert.Equal(("wallet", 100_000L, 50_000L), (refused.Shortfall, refused.NeededMicros, refused.AvailableMicros));
    }

    [Fact]
    public async Task Hold_on_an_unknown_wallet_is_refused_as_wallet_short()
    {
        using var host = EdgeHost(BillingAddress);
        var holds = host.Services.GetRequiredService<IHoldService>();

        var response = await holds.HoldAsync(BillingFixture.Hold(Guid.NewGuid(), 10), CancellationToken.None);

        Assert.False(response.Granted);
        Assert.Equal("wallet", response.Shortfall);
    }

    [Fact]
    public async Task A_5xx_from_billing_is_retried_and_the_hold_is_granted_on_the_next_attempt()
    {
        await using var billing = await ScriptedBilling.StartAsync(fixture.BaseAddress, ScriptedBilling.Answer(HttpStatusCode.BadGateway));
        using var host = EdgeHost(billing.Url);
        var holds = host.Services.GetRequiredService<IHoldService>();
        var wallet = await fixture.CreateWalletAsync(150_000);

        var granted = await holds.HoldAsync(BillingFixture.Hold(wallet, 100_000), CancellationToken.None);

        Assert.True(granted.Granted);
        Assert.Equal(2, billing.Calls.Count);
        Assert.Equal((150_000L, 100_000L), await fixture.WalletAsync(wallet));
    }

    [Fact]
    public async Task Unreachable_billing_fails_fast_with_BillingUnavailableException()
    {
        using var host = EdgeHost($"http://127.0.0.1:{UnusedPort()}", attemptTimeoutMs: 500);
        var holds = host.Services.GetRequiredService<IHoldService>();
        var watch = Stopwatch.StartNew();

        await Assert.ThrowsAsync<BillingUnavailableException>(() => holds.HoldAsync(BillingFixture.Hold(Guid.NewGuid(), 10), CancellationToken.None));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Billing_that_accepts_but_never_answers_times_out_with_BillingUnavailableException()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        using var host = EdgeHost($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}", attemptTimeoutMs: 300);
        var holds = host.Services.GetRequiredService<IHoldService>();
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<BillingUnavailableException>(() => holds.HoldAsync(BillingFixture.Hold(Guid.NewGuid(), 10), CancellationToken.None));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
        Assert.IsType<TimeoutException>(error.InnerException);
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
