using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NexRelay.Contracts.Messages;
using NexRelay.Testing;

namespace NexRelay.Logging.Tests.Ingestion;

/// <summary>
/// Poison events through the real RabbitMQ and PostgreSQL: an event the database refuses, or that cannot be read, is
/// dead-lettered alone while the rest of its envelope or batch is stored; dead letters are counted, listed, re-queued and
/// discarded through the admin API, and a re-queued event is stored once. A database that is down is waited out, never
/// dead-lettered.
/// </summary>
public sealed class DeadLetterIngestionTests(LoggingFixture fixture) : IClassFixture<LoggingFixture>
{
    private const string DeadLetters = "/admin/v1/dead-letters/logs";
    private const string Metric = "nexrelay.logging.events.dead_lettered";
    private static readonly JsonSerializerOptions WireJson = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Poison_events_in_an_envelope_are_dead_lettered_alone_the_rest_stored_and_a_requeued_one_stored_once()
    {
        using var deadLettered = new CounterRecorder(fixture.Factory.Services, Metric);
        var wallet = Guid.NewGuid();
        var events = Enumerable.Range(0, 10).Select(_ => Events.Make(wallet)).ToArray();
        // One the database refuses until the cause is fixed (a constraint the row breaks), one it can never take (a request
        // id longer than its index allows).
        var refused = events[1];
        var constraint = await RefuseRowAsync(refused.RequestId);
        var overlong = events[4] = events[4] with { RequestId = OverlongRequestId() };
        var stored = events.Where(e => e != refused && e != overlong).ToArray();

        await fixture.SendEnvelopeAsync(events);

        await fixture.WaitForWalletRowsAsync(wallet, stored.Length);
        var letters = await WaitForDeadLettersAsync(wallet, 2);
        var refusedLetter = letters.Single(l => l.GetProperty("request_id").GetString() == refused.RequestId);
        Assert.Equal("refused", refusedLetter.GetProperty("kind").GetString());
        Assert.Contains(constraint, refusedLetter.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(refused.UserAgent, refusedLetter.GetProperty("event").GetProperty("userAgent").GetString());
        var overlongLetter = letters.Single(l => Id(l) != Id(refusedLetter));
        Assert.StartsWith("54000: index row size", overlongLetter.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(overlong.RequestId, overlongLetter.GetProperty("event").GetProperty("requestId").GetString());
        // Counted once recorded (the list can show them a moment before).
        await WaitUntilAsync(() => deadLettered.Of("refused") == 2, "2 refused counted");

        // The cause fixed, the dead letter re-queued: stored once, however often it is re-queued or redelivered.
        await fixture.ExecuteAsync($"ALTER TABLE request_logs DROP CONSTRAINT {constraint}");
        using (var requeue = await fixture.Client.PostAsync($"{DeadLetters}/{Id(refusedLetter)}/requeue", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, requeue.StatusCode);
            Assert.Equal(1, (await requeue.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("requeued").GetInt32());
        }
        await fixture.WaitForWalletRowsAsync(wallet, stored.Length + 1);
        using (var again = await fixture.Client.PostAsync($"{DeadLetters}/{Id(refusedLetter)}/requeue", null))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }
        await fixture.SendEnvelopeAsync(refused);
        await fixture.SendAsync(refused);
        await Task.Delay(500);
        Assert.Equal(1L, await fixture.CountAsync("SELECT count(*) FROM request_logs WHERE request_id = $1", refused.RequestId));
        Assert.Equal(stored.Length + 1, (await fixture.WaitForWalletRowsAsync(wallet, stored.Length + 1)).Length);

        // The one that can never be stored stays listed until it is discarded.
        var remaining = Assert.Single(await ListAsync(wallet));
        Assert.Equal(Id(overlongLetter), Id(remaining));
        using (var discard = await fixture.Client.DeleteAsync($"{DeadLetters}/{Id(overlongLetter)}"))
        {
            Assert.Equal(HttpStatusCode.OK, discard.StatusCode);
            Assert.Equal(Id(overlongLetter), Id(await discard.Content.ReadFromJsonAsync<JsonElement>()));
        }
        Assert.Empty(await ListAsync(wallet));
        using (var gone = await fixture.Client.GetAsync($"{DeadLetters}/{Id(overlongLetter)}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
    }

    [Fact]
    public async Task A_poison_single_message_is_dead_lettered_alone_its_batch_is_stored_and_requeue_all_stores_it_once()
    {
        using var deadLettered = new CounterRecorder(fixture.Factory.Services, Metric);
        var wallet = Guid.NewGuid();
        var events = Enumerable.Range(0, 6).Select(_ => Events.Make(wallet)).ToArray();
        var refused = events[3];
        var constraint = await RefuseRowAsync(refused.RequestId);

        // Single messages, as older edges send them: logging gathers them into batches of its own.
        await fixture.SendAsync(events);

        await fixture.WaitForWalletRowsAsync(wallet, events.Length - 1);
        var letter = Assert.Single(await WaitForDeadLettersAsync(wallet, 1));
        Assert.Equal(refused.RequestId, letter.GetProperty("request_id").GetString());
        Assert.Equal(1, letter.GetProperty("failures").GetInt32());
        await WaitUntilAsync(() => deadLettered.Of("refused") == 1, "1 refused counted");

        await fixture.ExecuteAsync($"ALTER TABLE request_logs DROP CONSTRAINT {constraint}");
        using (var requeue = await fixture.Client.PostAsync($"{DeadLetters}/requeue", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, requeue.StatusCode);
            Assert.Equal(1, (await requeue.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("requeued").GetInt32());
        }
        await fixture.WaitForWalletRowsAsync(wallet, events.Length);
        Assert.Empty(await ListAsync(wallet));
    }

    [Fact]
    public async Task A_malformed_event_in_an_envelope_is_dead_lettered_alone_and_an_unreadable_message_goes_to_the_error_queue()
    {
        using var deadLettered = new CounterRecorder(fixture.Factory.Services, Metric);
        var wallet = Guid.NewGuid();
        var events = Enumerable.Range(0, 3).Select(_ => Events.Make(wallet)).ToArray();
        // A required field missing: the contract cannot be read from it.
        var malformedId = $"req_malformed_{Guid.NewGuid():N}";
        var malformed = $$"""{"requestId":"{{malformedId}}","createdAt":"2026-01-01T00:00:00Z","walletId":"{{wallet}}","route":"/v1/chat/completions","status":200}""";
        var items = events.Select(e => JsonSerializer.Serialize(e, WireJson)).Append(malformed);

        await RawMessages.SendAsync(fixture.Queue,
            RawMessages.Envelope("urn:message:NexRelay.Contracts.Messages:RequestsCompleted", $$"""{"requests":[{{string.Join(",", items)}}]}"""));

        await fixture.WaitForWalletRowsAsync(wallet, events.Length);
        var letter = Assert.Single(await WaitForDeadLettersAsync(wallet, 1));
        Assert.Equal("malformed", letter.GetProperty("kind").GetString());
        Assert.Equal(malformedId, letter.GetProperty("request_id").GetString());
        Assert.Contains("clientFormat", letter.GetProperty("reason").GetString(), StringComparison.Ordinal);
        await WaitUntilAsync(() => deadLettered.Of("malformed") == 1, "1 malformed counted");

        // Not a message at all: MassTransit cannot read it, so it goes to the queue's _error queue, counted; ingestion goes on.
        await RawMessages.SendAsync(fixture.Queue, "this is not JSON");
        await WaitUntilAsync(async () => deadLettered.Of("unreadable") == 1 && await fixture.ErrorQueueDepthAsync() == 1, "the unreadable message in the error queue");
        var next = Events.Make(wallet);
        await fixture.SendEnvelopeAsync(next);
        await fixture.WaitForWalletRowsAsync(wallet, events.Length + 1);

        using var discard = await fixture.Client.DeleteAsync($"{DeadLetters}/{Id(letter)}");
        Assert.Equal(HttpStatusCode.OK, discard.StatusCode);
    }

    [Fact]
    public async Task Dead_letters_are_listed_newest_first_a_page_at_a_time_to_the_admin_only()
    {
        var wallet = Guid.NewGuid();
        var events = Enumerable.Range(0, 5).Select(_ => Events.Make(wallet, requestId: OverlongRequestId())).ToArray();
        await fixture.SendEnvelopeAsync(events);
        var all = await WaitForDeadLettersAsync(wallet, events.Length);
        var ids = all.Select(Id).ToArray();

        var first = await fixture.GetJsonAsync($"{DeadLetters}?limit=2");
        var cursor = first.GetProperty("next_cursor").GetString();
        var second = await fixture.GetJsonAsync($"{DeadLetters}?limit=2&cursor={cursor}");
        var paged = first.GetProperty("data").EnumerateArray().Concat(second.GetProperty("data").EnumerateArray()).Select(Id).ToArray();
        Assert.Equal(paged.OrderDescending(), paged);
        Assert.Equal(4, paged.Distinct().Count());
        Assert.Equal(ids.Max(), paged[0]);

        using (var invalid = await fixture.Client.GetAsync($"{DeadLetters}?limit=0&cursor=abc"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
            var problem = await invalid.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("https://nexrelay.dev/problems/invalid-request", problem.GetProperty("type").GetString());
            Assert.True(problem.GetProperty("errors").TryGetProperty("limit", out _));
            Assert.True(problem.GetProperty("errors").TryGetProperty("cursor", out _));
        }
        using (var anonymous = await fixture.NewClient().PostAsync($"{DeadLetters}/requeue", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }
        using (var unknown = await fixture.Client.PostAsync($"{DeadLetters}/not-an-id/requeue", null))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("https://nexrelay.dev/problems/not-found", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        }
        foreach (var id in ids)
        {
            using var discard = await fixture.Client.DeleteAsync($"{DeadLetters}/{id}");
            Assert.Equal(HttpStatusCode.OK, discard.StatusCode);
        }
    }

    [Fact]
    public async Task A_database_outage_retries_the_whole_envelope_and_dead_letters_nothing()
    {
        using var deadLettered = new CounterRecorder(fixture.Factory.Services, Metric);
        var wallet = Guid.NewGuid();
        var events = Enumerable.Range(0, 5).Select(_ => Events.Make(wallet)).ToArray();

        await using (var outage = await DatabaseOutage.StartAsync(fixture.Database))
        {
            await fixture.SendEnvelopeAsync(events);
            await Task.Delay(TimeSpan.FromSeconds(4));
            await outage.EndAsync();
        }
        fixture.DataSource.Clear();

        // Straight from the database: right after an outage the service's API may still meet a connection the outage broke.
        await WaitUntilAsync(async () => await fixture.CountAsync("SELECT count(*) FROM request_logs WHERE wallet_id = $1", wallet) == events.Length,
            "the envelope stored");
        Assert.Equal(0L, await fixture.CountAsync("SELECT count(*) FROM dead_letters WHERE event LIKE '%' || $1 || '%'", wallet.ToString()));
        Assert.Equal(0, deadLettered.Total);
    }

    /// <summary>Longer than a btree index entry may be (2704 bytes): PostgreSQL refuses the row (54000).</summary>
    private static string OverlongRequestId() => "req_" + string.Concat(Enumerable.Range(0, 200).Select(_ => Guid.NewGuid().ToString("N")));

    /// <summary>A constraint that refuses the request's row: a deterministic database error (23514) until dropped.</summary>
    private async Task<string> RefuseRowAsync(string requestId)
    {
        var name = $"refuse_{Guid.NewGuid():N}"[..20];
        await fixture.ExecuteAsync($"ALTER TABLE request_logs ADD CONSTRAINT {name} CHECK (request_id <> '{requestId}') NOT VALID");
        return name;
    }

    /// <summary>The wallet's dead letters, through the admin API (other tests have their own wallets).</summary>
    private async Task<JsonElement[]> ListAsync(Guid wallet)
    {
        using var response = await fixture.Client.GetAsync($"{DeadLetters}?limit=500");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await response.Content.ReadFromJsonAsync<JsonElement>();
        return [.. page.GetProperty("data").EnumerateArray().Where(l => l.GetProperty("event").TryGetProperty("walletId", out var w) && w.GetString() == wallet.ToString())];
    }

    private async Task<JsonElement[]> WaitForDeadLettersAsync(Guid wallet, int count)
    {
        JsonElement[] letters = [];
        await WaitUntilAsync(async () => (letters = await ListAsync(wallet)).Length >= count, $"{count} dead letters");
        Assert.Equal(count, letters.Length);
        return letters;
    }

    private static long Id(JsonElement letter) => letter.GetProperty("id").GetInt64();

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Timed out waiting for " + what);
            await Task.Delay(100);
        }
    }

    private static Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);
}
