using System.Text.Json.Nodes;
using NexRelay.Billing.Notifications;
using Npgsql;

namespace NexRelay.Billing.Tests.Notifications;

/// <summary>
/// Budget notifications in billing's own terms: the rule (<c>budget_threshold_reached</c>), what a hold tells the bucket
/// (Migrations/0013, place_hold), and the worker turning a crossing into one event in the outbox, on the real database.
/// </summary>
public sealed class BudgetThresholdTests(BillingFixture fixture) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Theory]
    [InlineData(80, 0, 1_000, false, false)]
    [InlineData(80, 799, 1_000, false, false)]
    [InlineData(80, 800, 1_000, false, true)]
    [InlineData(80, 801, 1_000, false, true)]
    [InlineData(80, 3, 4, false, false)]                       // 75 %
    [InlineData(80, 4, 5, false, true)]                        // exactly 80 %, no rounding
    [InlineData(80, 0, 1_000, true, false)]                    // a refusal says nothing about 80 %
    [InlineData(100, 999, 1_000, false, false)]
    [InlineData(100, 1_000, 1_000, false, true)]
    [InlineData(100, 1_200, 1_000, false, true)]               // a late capture may pass the limit
    [InlineData(100, 1, 1_000, true, true)]                    // refused: used up, whatever was spent
    [InlineData(80, 9_000_000_000_000_000_000, 9_100_000_000_000_000_000, false, true)] // no overflow at ×100
    [InlineData(80, 0, 0, false, true)]
    public async Task The_rule_decides_each_threshold(int percent, long spent, long limit, bool refused, bool reached)
    {
        await using var db = fixture.OpenDb();
        await using var command = new NpgsqlCommand("SELECT budget_threshold_reached($1, $2, $3, $4)", db);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = percent });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = spent });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = limit });
        command.Parameters.Add(new NpgsqlParameter { Value = refused ? DateTimeOffset.UtcNow : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        Assert.Equal(reached, (bool)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_bucket_remembers_its_wallet_and_limit_and_the_first_refusal_that_spending_left_no_room_for()
    {
        var wallet = await fixture.CreateWalletAsync(10_000_000);

        // Refused for reservations alone (a request in flight holds the room, and may give most of it back): not noted.
        var busy = Guid.NewGuid();
        Assert.Equal(200, (await fixture.HoldAsync(BillingFixture.Hold(wallet, 700, busy, budget: 1_000))).Status);
        Assert.Equal(402, (await fixture.HoldAsync(BillingFixture.Hold(wallet, 500, busy, budget: 1_000))).Status);
        Assert.Equal((wallet, 1_000L, (DateTimeOffset?)null), await BucketAsync(busy));

        var key = Guid.NewGuid();
        await SpendAsync(wallet, key, 700);
        Assert.Equal((wallet, 1_000L, (DateTimeOffset?)null), await BucketAsync(key));

        // Larger than the whole budget: refused, and proves nothing used up.
        Assert.Equal(402, (await fixture.HoldAsync(BillingFixture.Hold(wallet, 1_001, key, budget: 1_000))).Status);
        Assert.Null((await BucketAsync(key)).RefusedAt);

        // What is spent leaves it no room: noted once; a later refusal leaves the first time.
        Assert.Equal(402, (await fixture.HoldAsync(BillingFixture.Hold(wallet, 500, key, budget: 1_000))).Status);
        var first = (await BucketAsync(key)).RefusedAt;
        Assert.NotNull(first);
        await Task.Delay(20);
        Assert.Equal(402, (await fixture.HoldAsync(BillingFixture.Hold(wallet, 400, key, budget: 1_000))).Status);
        Assert.Equal(first, (await BucketAsync(key)).RefusedAt);

        // A new limit (the key's policy changed) forgets the refusal, granted or refused.
        // (Within the old limit too: the fixture's invariants hold every bucket to the smallest limit its holds carried.)
        Assert.Equal(200, (await fixture.HoldAsync(BillingFixture.Hold(wallet, 100, key, budget: 2_000))).Status);
        Assert.Equal((wallet, 2_000L, (DateTimeOffset?)null), await BucketAsync(key));
        Assert.Equal(402, (await fixture.HoldAsync(BillingFixture.Hold(wallet, 900, key, budget: 1_500))).Status);
        var lowered = await BucketAsync(key);
        Assert.Equal(1_500L, lowered.Limit);
        Assert.NotNull(lowered.RefusedAt);
        Assert.Equal(402, (await fixture.HoldAsync(BillingFixture.Hold(wallet, 1_600, key, budget: 1_400))).Status);
        Assert.Equal((wallet, 1_400L, (DateTimeOffset?)null), await BucketAsync(key));
    }

    [Fact]
    public async Task Crossing_80_percent_then_a_refusal_writes_one_event_each()
    {
        var wallet = await fixture.CreateWalletAsync(10_000_000);
        var key = Guid.NewGuid();
        await fixture.ExecuteAsync($"INSERT INTO notification_settings (wallet_id, url, secret) VALUES ('{wallet}', 'https://receiver.invalid/hook', 'nrwhsec_test')");

        // 79.9 %: nothing. 80 %: one event.
        await SpendAsync(wallet, key, 799);
        await Task.Delay(1500);
        Assert.Empty(await EventsAsync(wallet));
        await SpendAsync(wallet, key, 1);
        var eighty = Assert.Single(await WaitForEventsAsync(wallet, 1));
        Assert.Equal(NotificationStore.BudgetEventType, eighty["type"]!.GetValue<string>());
        Assert.Equal(80, eighty["data"]!["percent"]!.GetValue<int>());
        Assert.Equal(key.ToString(), eighty["data"]!["key_id"]!.GetValue<string>());
        Assert.Equal("total", eighty["data"]!["period_key"]!.GetValue<string>());
        Assert.Equal(0.0008m, eighty["data"]!["spent_usd"]!.GetValue<decimal>());
        Assert.Equal(0.001m, eighty["data"]!["budget_usd"]!.GetValue<decimal>());
        Assert.False(eighty["data"]!["refused"]!.GetValue<bool>());

        // Refused with 200 left: used up. More refusals: nothing more.
        Assert.Equal(402, (await fixture.HoldAsync(BillingFixture.Hold(wallet, 300, key, budget: 1_000))).Status);
        var events = await WaitForEventsAsync(wallet, 2);
        Assert.Equal(100, events[1]["data"]!["percent"]!.GetValue<int>());
        Assert.True(events[1]["data"]!["refused"]!.GetValue<bool>());
        Assert.Equal(402, (await fixture.HoldAsync(BillingFixture.Hold(wallet, 250, key, budget: 1_000))).Status);
        await Task.Delay(1500);
        Assert.Equal(2, (await EventsAsync(wallet)).Count);
    }

    [Fact]
    public async Task A_key_without_a_limit_or_a_wallet_without_budget_alerts_gets_no_budget_event()
    {
        var wallet = await fixture.CreateWalletAsync(10_000_000);
        var quiet = await fixture.CreateWalletAsync(10_000_000);
        await fixture.ExecuteAsync($"INSERT INTO notification_settings (wallet_id, url, secret) VALUES ('{wallet}', 'https://receiver.invalid/hook', 'nrwhsec_test')");
        await fixture.ExecuteAsync($"INSERT INTO notification_settings (wallet_id, url, secret, budget_alerts) VALUES ('{quiet}', 'https://receiver.invalid/hook', 'nrwhsec_test', false)");

        await SpendAsync(wallet, Guid.NewGuid(), 5_000, budget: null);
        await SpendAsync(quiet, Guid.NewGuid(), 1_000, budget: 1_000);
        await Task.Delay(2000);
        Assert.Empty(await EventsAsync(wallet));
        Assert.Empty(await EventsAsync(quiet));
    }

    /// <summary>A hold of <paramref name="micros"/> settled at that cost through RabbitMQ, as the edge's request would be.</summary>
    private async Task SpendAsync(Guid wallet, Guid key, long micros, long? budget = 1_000)
    {
        var hold = BillingFixture.Hold(wallet, micros, key, budget: budget);
        Assert.Equal(200, (await fixture.HoldAsync(hold)).Status);
        await fixture.SendSettlementAsync(BillingFixture.Completed(hold, micros));
        await fixture.WaitForConsumedAsync(hold.RequestId, 1);
    }

    private async Task<(Guid? Wallet, long? Limit, DateTimeOffset? RefusedAt)> BucketAsync(Guid key)
    {
        await using var db = fixture.OpenDb();
        await using var command = new NpgsqlCommand("SELECT wallet_id, budget_limit, refused_at FROM key_budgets WHERE key_id = $1 AND period_key = 'total'", db);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = key });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.IsDBNull(0) ? null : reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetInt64(1),
            reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2));
    }

    private async Task<List<JsonNode>> EventsAsync(Guid wallet)
    {
        await using var db = fixture.OpenDb();
        await using var command = new NpgsqlCommand("SELECT body FROM notification_deliveries WHERE wallet_id = $1 ORDER BY seq", db);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = wallet });
        await using var reader = await command.ExecuteReaderAsync();
        var events = new List<JsonNode>();
        while (await reader.ReadAsync()) events.Add(JsonNode.Parse(reader.GetString(0))!);
        return events;
    }

    private async Task<List<JsonNode>> WaitForEventsAsync(Guid wallet, int count)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var events = await EventsAsync(wallet);
            if (events.Count >= count) return events;
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), $"{events.Count} of {count} events");
            await Task.Delay(100);
        }
    }
}
