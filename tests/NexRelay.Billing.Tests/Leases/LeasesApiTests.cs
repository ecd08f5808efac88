using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NexRelay.Contracts.Billing;

namespace NexRelay.Billing.Tests.Leases;

/// <summary>POST /internal/leases and /internal/leases/{id}/close through real HTTP on a real database.</summary>
public sealed class LeasesApiTests(BillingFixture fixture) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Theory]
    // balance, hold already on the wallet, budget, budget already used by the key, target, divisor → grant
    [InlineData(1_000_000, 0, null, 0, 500_000, 4, 250_000)]        // the wallet's share binds
    [InlineData(1_000_000, 0, null, 0, 100_000, 4, 100_000)]        // the target binds
    [InlineData(1_000_000, 200_000, null, 0, 900_000, 2, 400_000)]  // share of what is available, not of the balance
    [InlineData(10_000_000, 0, 400_000L, 0, 1_000_000, 4, 100_000)] // the budget's share binds
    [InlineData(10_000_000, 0, 1_000_000L, 600_000, 1_000_000, 4, 100_000)] // share of the budget's room
    [InlineData(1_000_003, 0, null, 0, 2_000_000, 3, 333_334)]     // integer division rounds down
    [InlineData(700_000, 0, 5_000_000L, 0, 1_000_000, 1, 700_000)] // divisor 1: all that is available
    public async Task Grant_is_the_least_of_target_and_the_shares_of_available_balance_and_budget_room(long balance, long walletHold,
        long? budget, long budgetUsed, long target, int divisor, long expected)
    {
        var wallet = await fixture.CreateWalletAsync(balance);
        var key = Guid.NewGuid();
        if (walletHold > 0) Assert.Equal(200, (await fixture.HoldAsync(BillingFixture.Hold(wallet, walletHold))).Status);
        if (budgetUsed > 0) Assert.Equal(200, (await fixture.HoldAsync(BillingFixture.Hold(wallet, budgetUsed, key, budget))).Status);

        var request = BillingFixture.Lease(wallet, target, minimum: 1, key, budget, divisor);
        var lease = await fixture.GrantedLeaseAsync(request);

        Assert.Equal(expected, lease.GrantedMicros);
        Assert.Equal("total", lease.BudgetPeriodKey);
        var (walletBalance, reserved) = await fixture.WalletAsync(wallet);
        Assert.Equal(balance, walletBalance);
        Assert.Equal(walletHold + budgetUsed + expected, reserved);
        Assert.Equal(walletBalance - reserved, lease.AvailableMicros);
        Assert.Equal(budgetUsed + expected, (await fixture.BucketAsync(key)).Reserved);
        Assert.Equal(expected, await fixture.ScalarAsync<long>(
            "SELECT amount FROM ledger_entries WHERE kind = 'hold' AND request_id = $1 AND note = 'credit lease'", request.LeaseId));
    }

    [Fact]
    public async Task Lease_below_the_minimum_is_refused_as_wallet_short_and_writes_nothing()
    {
        var wallet = await fixture.CreateWalletAsync(1_000);
        var key = Guid.NewGuid();
        var request = BillingFixture.Lease(wallet, target: 10_000, minimum: 500, key, divisor: 4);

        var (status, body) = await fixture.OpenLeaseAsync(request);

        Assert.Equal(200, status);
        Assert.False(body!.Granted);
        Assert.Equal(("wallet", 0L, 1_000L), (body.Shortfall, body.GrantedMicros, body.AvailableMicros));
        Assert.Equal((1_000L, 0L), await fixture.WalletAsync(wallet));
        Assert.Equal(1L, await fixture.LedgerCountAsync(wallet)); // the credit only
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT count(*) FROM leases WHERE wallet_id = $1", wallet));
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT count(*) FROM key_budgets WHERE key_id = $1", key));
    }

    [Fact]
    public async Task Lease_is_refused_as_budget_short_when_the_budget_binds_and_reports_the_budgets_room()
    {
        var wallet = await fixture.CreateWalletAsync(10_000_000);
        var key = Guid.NewGuid();
        Assert.Equal(200, (await fixture.HoldAsync(BillingFixture.Hold(wallet, 600, key, budget: 2_000))).Status);

        var (status, body) = await fixture.OpenLeaseAsync(BillingFixture.Lease(wallet, target: 10_000, minimum: 500, key, budget: 2_000, divisor: 4));

        Assert.Equal(200, status);
        Assert.False(body!.Granted);
        Assert.Equal(("budget", 1_400L), (body.Shortfall, body.AvailableMicros));
        Assert.Equal((10_000_000L, 600L), await fixture.WalletAsync(wallet));
        Assert.Equal((0L, 600L), await fixture.BucketAsync(key));
    }

    [Fact]
    public async Task A_refused_lease_id_can_be_granted_once_the_wallet_is_credited()
    {
        var wallet = await fixture.CreateWalletAsync(1_000);
        var request = BillingFixture.Lease(wallet, target: 10_000, minimum: 5_000);
        Assert.False((await fixture.OpenLeaseAsync(request)).Body!.Granted);

        await fixture.CreditAsync(wallet, 100_000);
        var lease = await fixture.GrantedLeaseAsync(request);

        Assert.Equal(10_000, lease.GrantedMicros);
    }

    [Fact]
    public async Task Retried_open_returns_the_existing_lease_and_never_reserves_twice()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var request = BillingFixture.Lease(wallet, target: 100_000, divisor: 2);

        var first = await fixture.GrantedLeaseAsync(request);
        await fixture.CreditAsync(wallet, 5_000_000); // a retry must not grow the lease either
        var retries = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => fixture.OpenLeaseAsync(request with { TargetMicros = 900_000 })));

        Assert.All(retries, r =>
        {
            Assert.Equal(200, r.Status);
            Assert.True(r.Body!.Granted);
            Assert.Equal(first.GrantedMicros, r.Body.GrantedMicros);
            Assert.Equal(first.ReserveUntil, r.Body.ReserveUntil);
        });
        Assert.Equal((6_000_000L, 100_000L), await fixture.WalletAsync(wallet));
        Assert.Equal(1L, await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE kind = 'hold' AND request_id = $1", request.LeaseId));
    }

    [Fact]
    public async Task Concurrent_duplicates_of_a_new_lease_make_one_lease()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var request = BillingFixture.Lease(wallet, target: 100_000);

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => fixture.OpenLeaseAsync(request)));

        Assert.All(results, r => Assert.Equal((200, true, 100_000L), (r.Status, r.Body!.Granted, r.Body.GrantedMicros)));
        Assert.Equal((1_000_000L, 100_000L), await fixture.WalletAsync(wallet));
    }

    [Fact]
    public async Task Reserve_window_ends_reserve_seconds_from_now()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var before = DateTimeOffset.UtcNow;

        var lease = await fixture.GrantedLeaseAsync(BillingFixture.Lease(wallet, 1_000, reserveSeconds: 90));

        Assert.InRange(lease.ReserveUntil, before.AddSeconds(89), DateTimeOffset.UtcNow.AddSeconds(91));
        var stored = await fixture.ScalarAsync<DateTime>("SELECT reserve_until FROM leases WHERE wallet_id = $1", wallet);
        Assert.Equal(lease.ReserveUntil.UtcDateTime, stored, TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task Lease_on_an_unknown_wallet_is_404_problem()
    {
        using var response = await fixture.Client.PostAsJsonAsync("/internal/leases", BillingFixture.Lease(Guid.NewGuid(), 1_000));

        Assert.Equal(404, (int)response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("walletId", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Close_releases_the_unspent_part_and_keeps_the_spent_part_reserved_until_it_is_settled()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var key = Guid.NewGuid();
        var request = BillingFixture.Lease(wallet, target: 400_000, keyId: key, budget: 2_000_000);
        await fixture.GrantedLeaseAsync(request);

        var (status, closed) = await fixture.CloseLeaseAsync(request.LeaseId, 100_000);

        Assert.Equal(200, status);
        Assert.Equal(("closed", 400_000L, 0L, 300_000L), (closed!.State, closed.GrantedMicros, closed.CapturedMicros, closed.ReleasedMicros));
        Assert.Equal((1_000_000L, 100_000L), await fixture.WalletAsync(wallet));
        Assert.Equal((0L, 100_000L), await fixture.BucketAsync(key));
        Assert.Equal((400_000L, 100_000L, 0L, "closed"), await fixture.LeaseRowAsync(request.LeaseId));
        Assert.Equal(300_000L, await fixture.ScalarAsync<long>(
            "SELECT amount FROM ledger_entries WHERE kind = 'release' AND request_id = $1", request.LeaseId));
    }

    [Fact]
    public async Task Close_is_idempotent()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var request = BillingFixture.Lease(wallet, target: 400_000);
        await fixture.GrantedLeaseAsync(request);
        Assert.Equal(300_000, (await fixture.CloseLeaseAsync(request.LeaseId, 100_000)).Body!.ReleasedMicros);

        var again = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => fixture.CloseLeaseAsync(request.LeaseId, i * 10_000)));

        Assert.All(again, r => Assert.Equal((200, "closed", 0L, 400_000L), (r.Status, r.Body!.State, r.Body.ReleasedMicros, r.Body.GrantedMicros)));
        Assert.Equal((1_000_000L, 100_000L), await fixture.WalletAsync(wallet));
        Assert.Equal(1L, await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE kind = 'release' AND request_id = $1", request.LeaseId));
    }

    [Fact]
    public async Task Close_with_spent_beyond_the_grant_keeps_at_most_the_grant()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var request = BillingFixture.Lease(wallet, target: 100_000);
        await fixture.GrantedLeaseAsync(request);

        var closed = (await fixture.CloseLeaseAsync(request.LeaseId, 250_000)).Body!;

        Assert.Equal(0, closed.ReleasedMicros);
        Assert.Equal((100_000L, 100_000L, 0L, "closed"), await fixture.LeaseRowAsync(request.LeaseId));
        Assert.Equal((1_000_000L, 100_000L), await fixture.WalletAsync(wallet));
    }

    [Fact]
    public async Task Close_of_an_unknown_lease_is_404_problem()
    {
        using var response = await fixture.Client.PostAsJsonAsync("/internal/leases/no-such-lease/close", new LeaseCloseRequest { SpentMicros = 0 });

        Assert.Equal(404, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("leaseId", problem.GetProperty("detail").GetString());
    }

    public static TheoryData<string, string> InvalidOpenBodies()
    {
        var wallet = Guid.NewGuid();
        var key = Guid.NewGuid();
        string Body(string overrides) =>
            "{" + $"\"leaseId\":\"l1\",\"walletId\":\"{wallet}\",\"keyId\":\"{key}\",\"targetMicros\":1000,\"minimumMicros\":10" + overrides + "}";
        return new TheoryData<string, string>
        {
            { Body(",\"shareDivisor\":0"), "shareDivisor" },
            { Body(",\"shareDivisor\":65"), "shareDivisor" },
            { Body(",\"reserveSeconds\":0"), "reserveSeconds" },
            { Body(",\"reserveSeconds\":3601"), "reserveSeconds" },
            { Body(",\"budgetPeriod\":\"week\""), "budgetPeriod" },
            { Body(",\"budgetMicros\":-1"), "budgetMicros" },
            { Body(",\"shareDivisor\":\"four\""), "shareDivisor" },
            { Body(",\"minimumMicros\":2000"), "minimumMicros" },
            { Body(",\"minimumMicros\":0"), "minimumMicros" },
            { Body(",\"targetMicros\":0"), "targetMicros" },
            { Body(",\"targetMicros\":1000000000001"), "targetMicros" },
            { Body(",\"leaseId\":\"\""), "leaseId" },
            { Body(",\"leaseId\":\"" + new string('x', 201) + "\""), "leaseId" },
            { Body(",\"walletId\":\"00000000-0000-0000-0000-000000000000\""), "walletId" },
            { Body(",\"keyId\":\"not-a-uuid\""), "keyId" },
            { "[1,2]", "body" },
            { "{", "body" },
            { "{\"leaseId\":\"l1\"}", "body" }, // required properties missing
        };
    }

    [Theory]
    [MemberData(nameof(InvalidOpenBodies))]
    public async Task Invalid_open_is_400_problem_naming_the_field(string json, string field)
    {
        using var response = await fixture.Client.PostAsync("/internal/leases", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors name {field}: {problem}");
    }

    [Theory]
    [InlineData("{\"spentMicros\":-1}", "spentMicros")]
    [InlineData("{\"spentMicros\":\"ten\"}", "spentMicros")]
    [InlineData("{}", "body")]
    [InlineData("nope", "body")]
    public async Task Invalid_close_is_400_problem_naming_the_field(string json, string field)
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var request = BillingFixture.Lease(wallet, 1_000);
        await fixture.GrantedLeaseAsync(request);

        using var response = await fixture.Client.PostAsync($"/internal/leases/{request.LeaseId}/close",
            new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(400, (int)response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors name {field}: {problem}");
        Assert.Equal("open", (await fixture.LeaseRowAsync(request.LeaseId)).State);
    }
}
