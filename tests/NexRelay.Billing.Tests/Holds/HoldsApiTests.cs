using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NexRelay.Contracts.Billing;

namespace NexRelay.Billing.Tests.Holds;

public sealed class HoldsApiTests(BillingFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    // Every scenario ends with the invariants.
    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task Concurrent_holds_never_overspend_a_wallet()
    {
        const int n = 25;
        const long amount = 40_000;
        var wallet = await fixture.CreateWalletAsync(n * amount);

        var results = await Task.WhenAll(Enumerable.Range(0, 10 * n)
            .Select(_ => fixture.HoldAsync(BillingFixture.Hold(wallet, amount))));

        Assert.Equal(n, results.Count(r => r.Status == 200 && r.Body.Granted));
        var refused = results.Where(r => r.Status != 200).ToList();
        Assert.Equal(9 * n, refused.Count);
        Assert.All(refused, r =>
        {
            Assert.Equal(402, r.Status);
            Assert.False(r.Body.Granted);
            Assert.Equal("wallet", r.Body.Shortfall);
            Assert.Equal(amount, r.Body.NeededMicros);
            Assert.InRange(r.Body.AvailableMicros, 0, amount - 1);
        });
        var (balance, reserved) = await fixture.WalletAsync(wallet);
        Assert.Equal(n * amount, balance);
        Assert.Equal(n * amount, reserved);
    }

    [Fact]
    public async Task One_hot_wallet_takes_many_concurrent_holds_without_errors()
    {
        const int holds = 1_000;
        const int concurrency = 48;
        var wallet = await fixture.CreateWalletAsync(holds * 1_000L);
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        var statuses = new System.Collections.Concurrent.ConcurrentBag<int>();
        var watch = System.Diagnostics.Stopwatch.StartNew();

        await Parallel.ForEachAsync(Enumerable.Range(0, holds), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (_, _) =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var (status, _) = await fixture.HoldAsync(BillingFixture.Hold(wallet, 1_000));
            latencies.Add(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            statuses.Add(status);
        });

        var sorted = latencies.Order().ToList();
        output.WriteLine($"{holds} holds on one wallet at concurrency {concurrency}: {holds / watch.Elapsed.TotalSeconds:F0}/s, " +
            $"p50 {sorted[sorted.Count / 2]:F2} ms, p99 {sorted[(int)(sorted.Count * 0.99)]:F2} ms (HTTP round trip included)");
        Assert.All(statuses, s => Assert.Equal(200, s));
        Assert.Equal((holds * 1_000L, holds * 1_000L), await fixture.WalletAsync(wallet));
    }

    [Fact]
    public async Task Concurrent_first_holds_of_a_brand_new_key_never_exceed_its_budget()
    {
        const int n = 12;
        const long amount = 30_000;
        var wallet = await fixture.CreateWalletAsync(100 * n * amount);
        var key = Guid.NewGuid();

        var results = await Task.WhenAll(Enumerable.Range(0, 10 * n)
            .Select(_ => fixture.HoldAsync(BillingFixture.Hold(wallet, amount, key, budget: n * amount))));

        Assert.Equal(n, results.Count(r => r.Status == 200));
        Assert.All(results.Where(r => r.Status != 200), r =>
        {
            Assert.Equal(402, r.Status);
            Assert.Equal("budget", r.Body.Shortfall);
            Assert.Equal(0, r.Body.AvailableMicros);
        });
        Assert.Equal(n * amount, await fixture.ScalarAsync<long>("SELECT reserved FROM key_budgets WHERE key_id = $1", key));
        var (_, reserved) = await fixture.WalletAsync(wallet);
        Assert.Equal(n * amount, reserved);
    }

    [Fact]
    public async Task Budget_refusal_reports_what_remains_of_the_budget()
    {
        var wallet = await fixture.CreateWalletAsync(10_000_000);
        var key = Guid.NewGuid();
        Assert.Equal(200, (await fixture.HoldAsync(BillingFixture.Hold(wallet, 700, key, budget: 1_000))).Status);

        var (status, body) = await fixture.HoldAsync(BillingFixture.Hold(wallet, 500, key, budget: 1_000));

        Assert.Equal(402, status);
        Assert.Equal("budget", body.Shortfall);
        Assert.Equal(500, body.NeededMicros);
        Assert.Equal(300, body.AvailableMicros);
        Assert.Equal("total", body.BudgetPeriodKey);
    }

    [Fact]
    public async Task Hold_is_refused_when_available_balance_is_short()
    {
        var wallet = await fixture.CreateWalletAsync(1_000);

        var (status, body) = await fixture.HoldAsync(BillingFixture.Hold(wallet, 1_001));

        Assert.Equal(402, status);
        Assert.Equal("wallet", body.Shortfall);
        Assert.Equal(1_001, body.NeededMicros);
        Assert.Equal(1_000, body.AvailableMicros);
        Assert.Equal((1_000L, 0L), await fixture.WalletAsync(wallet));
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT count(*) FROM holds WHERE wallet_id = $1", wallet));
    }

    [Fact]
    public async Task A_refused_wallet_hold_does_not_consume_the_keys_budget()
    {
        var wallet = await fixture.CreateWalletAsync(100);
        var key = Guid.NewGuid();

        Assert.Equal(402, (await fixture.HoldAsync(BillingFixture.Hold(wallet, 500, key, budget: 1_000))).Status);

        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT coalesce(sum(reserved), 0)::bigint FROM key_budgets WHERE key_id = $1", key));
    }

    [Fact]
    public async Task Retried_hold_returns_the_original_hold_and_never_a_second_one()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var hold = BillingFixture.Hold(wallet, 100_000);

        var first = await fixture.HoldAsync(hold);
        var retries = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => fixture.HoldAsync(hold)));

        Assert.Equal(200, first.Status);
        Assert.All(retries, r => Assert.Equal((200, true, "total"), (r.Status, r.Body.Granted, r.Body.BudgetPeriodKey)));
        Assert.Equal((1_000_000L, 100_000L), await fixture.WalletAsync(wallet));
        Assert.Equal(1L, await fixture.ScalarAsync<long>("SELECT count(*) FROM holds WHERE request_id = $1", hold.RequestId));
    }

    [Fact]
    public async Task Concurrent_duplicates_of_a_new_hold_make_one_hold()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var hold = BillingFixture.Hold(wallet, 100_000);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => fixture.HoldAsync(hold)));

        Assert.All(results, r => Assert.Equal(200, r.Status));
        Assert.Equal((1_000_000L, 100_000L), await fixture.WalletAsync(wallet));
    }

    [Fact]
    public async Task Day_and_month_budgets_use_dated_buckets()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var today = DateTime.UtcNow;

        var day = await fixture.HoldAsync(BillingFixture.Hold(wallet, 10, budget: 100) with { BudgetPeriod = "day" });
        var month = await fixture.HoldAsync(BillingFixture.Hold(wallet, 10, budget: 100) with { BudgetPeriod = "month" });

        Assert.Equal($"day:{today:yyyy-MM-dd}", day.Body.BudgetPeriodKey);
        Assert.Equal($"month:{today:yyyy-MM}", month.Body.BudgetPeriodKey);
    }

    [Fact]
    public async Task Hold_on_an_unknown_wallet_is_404_problem_details()
    {
        using var response = await fixture.Client.PostAsJsonAsync("/internal/holds", BillingFixture.Hold(Guid.NewGuid(), 10));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("walletId", await response.Content.ReadAsStringAsync());
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT count(*) FROM holds WHERE wallet_id NOT IN (SELECT id FROM wallets)"));
    }

    [Theory]
    [InlineData("""{"requestId":"r1","walletId":"%W","keyId":"%K","amountMicros":-5}""", "amountMicros")]
    [InlineData("""{"requestId":"r2","walletId":"%W","keyId":"%K","amountMicros":0}""", "amountMicros")]
    [InlineData("""{"requestId":"r3","walletId":"%W","keyId":"%K","amountMicros":1000000000000000}""", "amountMicros")]
    [InlineData("""{"requestId":"r4","walletId":"%W","keyId":"%K","amountMicros":"ten"}""", "amountMicros")]
    [InlineData("""{"requestId":"r5","walletId":"%W","keyId":"%K","amountMicros":5,"budgetPeriod":"week"}""", "budgetPeriod")]
    [InlineData("""{"requestId":"r6","walletId":"%W","keyId":"%K","amountMicros":5,"budgetMicros":-1}""", "budgetMicros")]
    [InlineData("""{"requestId":"","walletId":"%W","keyId":"%K","amountMicros":5}""", "requestId")]
    [InlineData("""{"requestId":"r7","walletId":"not-a-guid","keyId":"%K","amountMicros":5}""", "walletId")]
    [InlineData("""{"requestId":"r8","keyId":"%K","amountMicros":5}""", "walletId")]
    [InlineData("""{"requestId":"r9","walletId":""", "walletId")]
    public async Task Bad_hold_input_is_400_naming_the_field_and_writes_nothing(string json, string field)
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var body = json.Replace("%W", wallet.ToString()).Replace("%K", Guid.NewGuid().ToString());

        using var response = await fixture.Client.PostAsync("/internal/holds", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(field, problem.GetRawText());
        Assert.Equal((1_000_000L, 0L), await fixture.WalletAsync(wallet));
    }
}
