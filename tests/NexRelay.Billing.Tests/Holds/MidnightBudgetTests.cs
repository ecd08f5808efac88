using NexRelay.Contracts.Billing;

namespace NexRelay.Billing.Tests.Holds;

/// <summary>
/// Issue 17 scenario 2, second half: a daily budget while the UTC day turns, with billing's clock injected. Concurrent holds on
/// both sides of midnight never put more than the budget into either day's bucket; a hold placed before midnight and settled
/// after it is charged to the day it was placed in; a credit lease opened just before midnight cannot take holds past it.
/// </summary>
public sealed class MidnightBudgetTests(ManualClockFixture fixture) : IClassFixture<ManualClockFixture>, IAsyncLifetime
{
    private static readonly DateTimeOffset Midnight = new(2026, 12, 3, 0, 0, 0, TimeSpan.Zero);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task Concurrent_holds_across_midnight_never_overspend_either_days_budget()
    {
        const long amount = 10_000;
        const long budget = 100 * amount;
        var wallet = await fixture.CreateWalletAsync(1_000_000_000);
        var key = Guid.NewGuid();
        fixture.Clock.Set(Midnight.AddMilliseconds(-500));

        // 150 at once before midnight; the clock turns to the next day once half of them are answered (the rest in flight),
        // then 300 more at once.
        var holds = Enumerable.Range(0, 450).Select(_ => BillingFixture.Hold(wallet, amount, key, budget: budget) with { BudgetPeriod = "day" }).ToList();
        var before = holds.Take(150).Select(fixture.HoldAsync).ToList();
        while (before.Count(t => t.IsCompleted) < 75) await Task.Delay(1);
        fixture.Clock.Set(Midnight.AddMilliseconds(100));
        var after = holds.Skip(150).Select(fixture.HoldAsync).ToList();
        var outcomes = await Task.WhenAll(before.Concat(after));

        var granted = holds.Zip(outcomes).Where(p => p.Second.Status == 200).ToList();
        Assert.All(outcomes, o => Assert.True(o.Status is 200 or 402, $"status {o.Status}"));
        Assert.All(outcomes.Where(o => o.Status == 402), o => Assert.Equal("budget", o.Body.Shortfall));
        var perDay = granted.GroupBy(p => p.Second.Body.BudgetPeriodKey).ToDictionary(g => g.Key!, g => g.ToList());
        Assert.Subset(new HashSet<string> { "day:2026-12-02", "day:2026-12-03" }, perDay.Keys.ToHashSet());
        Assert.Equal(100, perDay["day:2026-12-03"].Count); // the later half alone could fill the new day
        Assert.InRange(perDay.GetValueOrDefault("day:2026-12-02")?.Count ?? 0, 75, 100);
        foreach (var (day, list) in perDay)
        {
            var (spent, reserved) = await fixture.BucketAsync(key, day);
            Assert.Equal(0, spent);
            Assert.Equal(list.Count * amount, reserved);
            Assert.True(reserved <= budget, $"{day}: {reserved} reserved of a {budget} budget");
        }

        // Settled after midnight, each at its full amount: charged to the day it was held in.
        fixture.Clock.Set(Midnight.AddHours(1));
        await fixture.SendSettlementsAsync([.. granted.Select(p => BillingFixture.Completed(p.First, amount))]);
        await fixture.WaitForConsumedAsync(granted[^1].First.RequestId, 1);
        await WaitUntilSettledAsync(key, perDay);
        foreach (var (day, list) in perDay)
        {
            Assert.Equal((list.Count * amount, 0L), await fixture.BucketAsync(key, day));
        }
        // The new day is full; the old one is closed to new holds by the calendar.
        var (status, body) = await fixture.HoldAsync(BillingFixture.Hold(wallet, amount, key, budget: budget) with { BudgetPeriod = "day" });
        Assert.Equal(402, status);
        Assert.Equal("budget", body.Shortfall);
    }

    [Fact]
    public async Task A_lease_opened_just_before_midnight_takes_no_holds_past_it()
    {
        var wallet = await fixture.CreateWalletAsync(100_000_000);
        fixture.Clock.Set(Midnight.AddSeconds(-2));
        var lease = BillingFixture.Lease(wallet, target: 1_000_000, budget: 5_000_000, reserveSeconds: 60) with { BudgetPeriod = "day" };
        var granted = await fixture.GrantedLeaseAsync(lease);
        Assert.Equal("day:2026-12-02", granted.BudgetPeriodKey);
        Assert.True(granted.ReserveUntil <= Midnight, $"a day-budget lease reserves until {granted.ReserveUntil:O}, past the day's end");
        Assert.Equal(200, (await fixture.CloseLeaseAsync(lease.LeaseId, 0)).Status);
    }

    private async Task WaitUntilSettledAsync(Guid key, Dictionary<string, List<(HoldRequest First, (int Status, HoldResponse Body) Second)>> perDay)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        foreach (var day in perDay.Keys)
        {
            while ((await fixture.BucketAsync(key, day)).Reserved != 0)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{day} still has reservations");
                await Task.Delay(100);
            }
        }
    }
}
