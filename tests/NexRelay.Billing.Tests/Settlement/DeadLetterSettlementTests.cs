using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NexRelay.Contracts.Messages;
using NexRelay.Testing;

namespace NexRelay.Billing.Tests.Settlement;

/// <summary>
/// Poison settlements through the real RabbitMQ and PostgreSQL: an event that fails deterministically, or cannot be read, is
/// dead-lettered alone while the rest of its envelope or batch settles; dead letters are counted, listed, re-queued and
/// discarded through the admin API, and a re-queued settlement captures once. A database that is down is waited out, never
/// dead-lettered.
/// </summary>
public sealed class DeadLetterSettlementTests(BillingFixture fixture) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    private const string DeadLetters = "/admin/v1/dead-letters/settlements";
    private const string Metric = "nexrelay.billing.settlements.dead_lettered";
    private static readonly JsonSerializerOptions WireJson = new(JsonSerializerDefaults.Web);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task Poison_events_in_an_envelope_are_dead_lettered_alone_the_rest_settle_and_a_requeued_one_captures_once()
    {
        using var deadLettered = new CounterRecorder(fixture.Factory.Services, Metric);
        var (wallet, events) = await HeldRequestsAsync(8);
        // One the database refuses until the cause is fixed (a constraint its capture breaks), one it can never take (a NUL
        // in its request id).
        var refused = events[2];
        var constraint = await RefuseCapturesOfAsync(refused.RequestId);
        var held = events[5].RequestId;
        var nul = events[5] = events[5] with { RequestId = held + "\0" };
        var settled = events.Where(e => e != refused && e != nul).ToArray();

        await fixture.SendSettlementsAsync(events);
        await fixture.WaitForConsumedAsync(events[0].RequestId, 1);

        await AssertCapturedOnceAsync(settled);
        Assert.Equal("held", await fixture.ScalarAsync<string>("SELECT state FROM holds WHERE request_id = $1", refused.RequestId));
        var letters = await ListAsync(wallet);
        Assert.Equal(2, letters.Length);
        var refusedLetter = letters.Single(l => l.GetProperty("request_id").GetString() == refused.RequestId);
        Assert.Equal("refused", refusedLetter.GetProperty("kind").GetString());
        Assert.Contains("23514", refusedLetter.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains(constraint, refusedLetter.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(refused.CostMicros, refusedLetter.GetProperty("event").GetProperty("costMicros").GetInt64());
        var nulLetter = letters.Single(l => Id(l) != Id(refusedLetter));
        Assert.Equal("refused", nulLetter.GetProperty("kind").GetString());
        Assert.Contains("22021", nulLetter.GetProperty("reason").GetString(), StringComparison.Ordinal);
        // Listed under a readable form of its id; the event itself as it came.
        Assert.Equal(held + "\uFFFD", nulLetter.GetProperty("request_id").GetString());
        Assert.Equal(nul.RequestId, nulLetter.GetProperty("event").GetProperty("requestId").GetString());
        Assert.Equal(2, deadLettered.Of("refused"));

        // The cause fixed, the dead letter re-queued: captured once, however often it is re-queued or redelivered.
        await fixture.ExecuteAsync($"ALTER TABLE ledger_entries DROP CONSTRAINT {constraint}");
        using (var requeue = await fixture.Admin.PostAsync($"{DeadLetters}/{Id(refusedLetter)}/requeue", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, requeue.StatusCode);
            Assert.Equal(1, (await requeue.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("requeued").GetInt32());
        }
        await fixture.WaitForConsumedAsync(refused.RequestId, 2);
        using (var again = await fixture.Admin.PostAsync($"{DeadLetters}/{Id(refusedLetter)}/requeue", null))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }
        await fixture.SendSettlementsAsync(refused);
        await fixture.WaitForConsumedAsync(refused.RequestId, 3);
        await AssertCapturedOnceAsync([.. settled, refused]);
        Assert.Equal((1_000_000L - settled.Sum(e => e.CostMicros) - refused.CostMicros, 100_000L), await fixture.WalletAsync(wallet));

        // The one that can never settle stays listed until it is discarded.
        var remaining = Assert.Single(await ListAsync(wallet));
        Assert.Equal(Id(nulLetter), Id(remaining));
        using (var discard = await fixture.Admin.DeleteAsync($"{DeadLetters}/{Id(nulLetter)}"))
        {
            Assert.Equal(HttpStatusCode.OK, discard.StatusCode);
        }
        Assert.Empty(await ListAsync(wallet));
        Assert.Equal(2, deadLettered.Total);
    }

    [Fact]
    public async Task A_poison_single_message_is_dead_lettered_alone_its_batch_settles_and_requeue_all_captures_once()
    {
        using var deadLettered = new CounterRecorder(fixture.Factory.Services, Metric);
        var (wallet, events) = await HeldRequestsAsync(6);
        var refused = events[4];
        var constraint = await RefuseCapturesOfAsync(refused.RequestId);

        // Single messages, as older edges send them: billing gathers them into batches of its own.
        await Task.WhenAll(events.Select(fixture.SendSettlementAsync));
        foreach (var e in events) await fixture.WaitForConsumedAsync(e.RequestId, 1);

        await AssertCapturedOnceAsync(events.Where(e => e != refused));
        var letter = Assert.Single(await ListAsync(wallet));
        Assert.Equal(refused.RequestId, letter.GetProperty("request_id").GetString());
        Assert.Equal(1, deadLettered.Of("refused"));

        await fixture.ExecuteAsync($"ALTER TABLE ledger_entries DROP CONSTRAINT {constraint}");
        using (var requeue = await fixture.Admin.PostAsync($"{DeadLetters}/requeue", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, requeue.StatusCode);
            Assert.Equal(1, (await requeue.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("requeued").GetInt32());
        }
        await fixture.WaitForConsumedAsync(refused.RequestId, 2);
        await AssertCapturedOnceAsync(events);
        Assert.Equal((1_000_000L - events.Sum(e => e.CostMicros), 0L), await fixture.WalletAsync(wallet));
        Assert.Empty(await ListAsync(wallet));
        using (var none = await fixture.Admin.PostAsync($"{DeadLetters}/requeue", null))
        {
            Assert.Equal(0, (await none.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("requeued").GetInt32());
        }
    }

    [Fact]
    public async Task A_malformed_event_in_an_envelope_is_dead_lettered_alone_and_an_unreadable_message_goes_to_the_error_queue()
    {
        using var deadLettered = new CounterRecorder(fixture.Factory.Services, Metric);
        var (wallet, events) = await HeldRequestsAsync(3);
        var malformedId = $"req_malformed_{Guid.NewGuid():N}";
        var malformed = $$"""{"requestId":"{{malformedId}}","createdAt":"2026-01-01T00:00:00Z","walletId":"{{wallet}}","clientFormat":"openai-chat","route":"/v1/chat/completions","status":200,"heldMicros":1000,"costMicros":"a lot"}""";
        var items = events.Select(e => JsonSerializer.Serialize(e, WireJson)).Append(malformed);

        await RawMessages.SendAsync(fixture.SettlementQueue,
            RawMessages.Envelope("urn:message:NexRelay.Contracts.Messages:RequestsCompleted", $$"""{"requests":[{{string.Join(",", items)}}]}"""));
        await fixture.WaitForConsumedAsync(events[0].RequestId, 1);

        await AssertCapturedOnceAsync(events);
        var letter = Assert.Single(await ListAsync(wallet));
        Assert.Equal("malformed", letter.GetProperty("kind").GetString());
        Assert.Equal(malformedId, letter.GetProperty("request_id").GetString());
        Assert.Equal("a lot", letter.GetProperty("event").GetProperty("costMicros").GetString());
        Assert.Equal(1, deadLettered.Of("malformed"));

        // Not a message at all: MassTransit cannot read it, so it goes to the queue's _error queue, counted; settlement goes on.
        await RawMessages.SendAsync(fixture.SettlementQueue, "this is not JSON");
        await WaitUntilAsync(() => deadLettered.Of("unreadable") == 1, "the unreadable message counted");
        var (_, next) = await HeldRequestsAsync(1);
        await fixture.SendSettlementsAsync(next);
        await fixture.WaitForConsumedAsync(next[0].RequestId, 1);
        await AssertCapturedOnceAsync(next);

        using var discard = await fixture.Admin.DeleteAsync($"{DeadLetters}/{Id(letter)}");
        Assert.Equal(HttpStatusCode.OK, discard.StatusCode);
    }

    [Fact]
    public async Task A_database_outage_retries_the_whole_envelope_and_dead_letters_nothing()
    {
        using var deadLettered = new CounterRecorder(fixture.Factory.Services, Metric);
        var (wallet, events) = await HeldRequestsAsync(4);

        DateTime back;
        await using (var outage = await DatabaseOutage.StartAsync(fixture.Database))
        {
            await fixture.SendSettlementsAsync(events);
            await Task.Delay(TimeSpan.FromSeconds(4));
            back = await outage.EndAsync();
        }
        await fixture.WaitForConsumedAsync(events[0].RequestId, 1);

        await AssertCapturedOnceAsync(events);
        Assert.Equal((1_000_000L - events.Sum(e => e.CostMicros), 0L), await fixture.WalletAsync(wallet));
        // Settled once the database was back, by the same delivery retried: nothing was dead-lettered meanwhile.
        var firstCapture = await fixture.ScalarAsync<DateTime>(
            "SELECT min(created_at) FROM ledger_entries WHERE kind = 'capture' AND request_id = ANY($1)", (object)events.Select(e => e.RequestId).ToArray());
        Assert.True(firstCapture >= back, $"captured at {firstCapture:O}, database back at {back:O}");
        // Straight from the database: right after an outage the service's API may still meet a connection the outage broke.
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT count(*) FROM dead_letters WHERE event LIKE '%' || $1 || '%'", wallet.ToString()));
        Assert.Equal(0, deadLettered.Total);
    }

    private async Task<(Guid Wallet, RequestCompleted[] Events)> HeldRequestsAsync(int count)
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var holds = Enumerable.Range(0, count).Select(_ => BillingFixture.Hold(wallet, 100_000)).ToList();
        foreach (var hold in holds) Assert.Equal(200, (await fixture.HoldAsync(hold)).Status);
        return (wallet, holds.Select((h, i) => BillingFixture.Completed(h, 10_000 + i)).ToArray());
    }

    /// <summary>A constraint that refuses the request's capture entry: a deterministic database error (23514) until dropped.</summary>
    private async Task<string> RefuseCapturesOfAsync(string requestId)
    {
        var name = $"refuse_{Guid.NewGuid():N}"[..20];
        await fixture.ExecuteAsync($"ALTER TABLE ledger_entries ADD CONSTRAINT {name} CHECK (request_id IS DISTINCT FROM '{requestId}') NOT VALID");
        return name;
    }

    private async Task AssertCapturedOnceAsync(IEnumerable<RequestCompleted> events)
    {
        foreach (var e in events)
        {
            Assert.Equal(1L, await fixture.ScalarAsync<long>(
                "SELECT count(*) FROM ledger_entries WHERE kind = 'capture' AND request_id = $1 AND amount = $2", e.RequestId, e.CostMicros));
        }
    }

    /// <summary>The wallet's dead letters, through the admin API (the fixture's other tests have their own wallets).</summary>
    private async Task<JsonElement[]> ListAsync(Guid wallet)
    {
        using var response = await fixture.Admin.GetAsync($"{DeadLetters}?limit=500");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await response.Content.ReadFromJsonAsync<JsonElement>();
        return [.. page.GetProperty("data").EnumerateArray().Where(l => l.GetProperty("event").TryGetProperty("walletId", out var w) && w.GetString() == wallet.ToString())];
    }

    private static long Id(JsonElement letter) => letter.GetProperty("id").GetInt64();

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Timed out waiting for " + what);
            await Task.Delay(50);
        }
    }
}
