using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using NexRelay.Testing;
using RabbitMQ.Client;

namespace NexRelay.Chaos.Tests;

public sealed partial class Scenarios
{
    [Fact]
    public async Task S02_Concurrent_requests_on_a_brand_new_keys_daily_budget_never_overspend_it()
    {
        // What one request holds and costs (the delayed model charges output only and answers exactly its limit), then a
        // brand-new key whose daily budget has room for exactly 100 of them on a wallet with room for far more; 500 at once
        // across both edges, before either edge has ever seen the key.
        var probe = await cluster.TenantAsync(10m);
        var first = await new Load(cluster, [probe], new LoadShape()).SendAsync(cluster.Edges[0], probe, ChaosCatalog.Delayed, stream: false, abandonAfter: null);
        Assert.True(first.Complete, first.Error);
        var held = await HeldAsync(probe, first.RequestId!);
        var budget = held * 100;
        var tenant = await cluster.TenantAsync(50m, new JsonObject { ["budget_usd"] = budget / 1_000_000m, ["budget_period"] = "day" });

        var burst = new Load(cluster, [tenant], new LoadShape { Models = [ChaosCatalog.Delayed], StreamShare = 0.5, Concurrency = 500 });
        await using var sampler = new BalanceSampler(_truth).Start();
        long highest = 0;
        using var stop = new CancellationTokenSource();
        var budgetSampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                highest = Math.Max(highest, await _truth.KeyBudgetUseAsync(tenant.KeyId));
                await Task.Delay(100, CancellationToken.None);
            }
        });
        await burst.RunAsync(CancellationToken.None, requests: 500);
        await stop.CancelAsync();
        await budgetSampler;

        var admitted = burst.Records.Count(r => r.Status == 200);
        var statuses = string.Join(", ", burst.Records.GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"));
        Assert.InRange(admitted, 1, 100);
        // Refused for the budget (402), billing overwhelmed (503), or, on a machine too slow for 500 at once, the upstream timing
        // out (504) and then its breaker open (502): never admitted past the budget, which is what is asserted below.
        Assert.All(burst.Records, r => Assert.True(r.Status is 200 or 402 or 503 or 504
            || r.Status == 502 && r.Error!.Contains("circuit breaker is open", StringComparison.Ordinal), statuses));
        Assert.Contains(burst.Records, r => r.Status == 402 && r.Error!.Contains("budget", StringComparison.OrdinalIgnoreCase));
        var verdict = await ReportAsync("2. 500 concurrent on a brand-new key's daily budget with room for 100", statuses, burst, [tenant], sampler);
        // The budget's spent + reserved never passed it while the burst ran, nor after.
        Assert.True(highest <= budget, $"the key's budget bucket reached {highest} of {budget}");
        Assert.True(await _truth.KeyBudgetUseAsync(tenant.KeyId) <= budget);
        Assert.True(verdict.Charged <= 100);
    }

    [Fact]
    public async Task S03_S10_Settlements_replayed_ten_times_out_of_order_with_poison_among_them_capture_and_log_once()
    {
        var tenants = await TenantsAsync();
        var replayTap = "chaos-replay-" + Guid.NewGuid().ToString("N")[..8];
        var factory = new ConnectionFactory { Uri = new Uri(TestInfrastructure.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(replayTap, durable: false, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(replayTap, "NexRelay.Contracts.Messages:RequestsCompleted", routingKey: "");
        try
        {
            // The originals: a first load, every message it published copied aside.
            var original = new Load(cluster, tenants, new LoadShape { Concurrency = 6 });
            await original.RunAsync(CancellationToken.None, requests: 150);
            var published = await DrainAsync(channel, replayTap, settleFor: TimeSpan.FromSeconds(3));
            Assert.NotEmpty(published);

            // Poison: one envelope mixing a copy of a real event with events that can never be read (a cost that is not a
            // number, a request id that is not a string); and a message that is not JSON at all.
            var poisonIds = new[] { "req_poison_" + Guid.NewGuid().ToString("N"), "req_poison_" + Guid.NewGuid().ToString("N") };
            var realEvent = JsonNode.Parse(published[0])!["message"]!["requests"]![0]!.DeepClone();
            var poison = new JsonObject
            {
                ["requests"] = new JsonArray(
                    realEvent,
                    JsonNode.Parse($$"""{"requestId":"{{poisonIds[0]}}","createdAt":"2026-12-02T00:00:00Z","walletId":"{{tenants[0].WalletId}}","keyId":"{{tenants[0].KeyId}}","clientFormat":"openai","route":"/api/v1/chat/completions","status":200,"heldMicros":5,"costMicros":"lots"}"""),
                    JsonNode.Parse($$"""{"requestId":{"id":"{{poisonIds[1]}}"},"createdAt":"2026-12-02T00:00:00Z","clientFormat":"openai","route":"/x","status":200}""")),
            };
            var poisonEnvelope = RawMessages.Envelope("urn:message:NexRelay.Contracts.Messages:RequestsCompleted", poison.ToJsonString());

            // Ten replays of every message, shuffled, to both consumers' queues, while a second load runs.
            var random = new Random(17);
            var replays = Enumerable.Range(0, 10).SelectMany(_ => published).OrderBy(_ => random.Next()).ToList();
            var live = new Load(cluster, tenants, new LoadShape { Concurrency = 4 });
            using var stop = new CancellationTokenSource();
            var running = live.RunAsync(stop.Token);
            foreach (var queue in new[] { cluster.SettlementQueue, cluster.LogQueue })
            {
                for (var i = 0; i < replays.Count; i++)
                {
                    await SendRawAsync(channel, queue, replays[i]);
                    if (i == replays.Count / 2)
                    {
                        await SendRawAsync(channel, queue, poisonEnvelope);
                        await SendRawAsync(channel, queue, "this is not json {");
                    }
                }
            }
            await stop.CancelAsync();
            await running;

            await using var sampler = new BalanceSampler(_truth).Start();
            var verdict = await ReportAsync("3 and 10. Settlements ×10, shuffled, with poison among them", $"{replays.Count} replays per queue, 2 poison events, 1 unreadable message",
                new Combined(original, live), tenants, sampler);
            Assert.Equal(0, verdict.Duplicated);

            // The poison is dead-lettered alone, in both services; no real request is among the dead letters.
            using var admin = cluster.AdminClient();
            foreach (var service in new[] { "settlements", "logs" })
            {
                await Timing.UntilAsync(async () => (await DeadLettersAsync(admin, service)).Count >= 2, TimeSpan.FromSeconds(30), $"{service} dead letters");
                var letters = await DeadLettersAsync(admin, service);
                var ids = letters.Select(l => l["request_id"]?.GetValue<string>() ?? "").ToList();
                Assert.Contains(poisonIds[0], ids);
                Assert.All(letters, l => Assert.Equal("malformed", l["kind"]!.GetValue<string>()));
                Assert.DoesNotContain(ids, id => id.Length > 0 && !poisonIds.Contains(id) && !id.Contains(poisonIds[1], StringComparison.Ordinal));
            }
            // The unreadable message went to each queue's error queue.
            foreach (var queue in new[] { cluster.SettlementQueue, cluster.LogQueue })
            {
                var errors = await channel.QueueDeclarePassiveAsync(queue + "_error");
                Assert.True(errors.MessageCount >= 1, $"{queue}_error holds {errors.MessageCount} messages");
                await channel.QueuePurgeAsync(queue + "_error");
            }
        }
        finally
        {
            await channel.QueueDeleteAsync(replayTap);
        }
    }

    /// <summary>Every message in <paramref name="queue"/>, waiting until none has arrived for <paramref name="settleFor"/>.</summary>
    private static async Task<List<string>> DrainAsync(IChannel channel, string queue, TimeSpan settleFor)
    {
        var bodies = new List<string>();
        var quiet = System.Diagnostics.Stopwatch.StartNew();
        while (quiet.Elapsed < settleFor)
        {
            if (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
            {
                bodies.Add(Encoding.UTF8.GetString(message.Body.Span));
                quiet.Restart();
            }
            else
            {
                await Task.Delay(100);
            }
        }
        return bodies;
    }

    /// <summary>Straight into a consumer's queue (the default exchange), as MassTransit JSON, bypassing every producer.</summary>
    private static async Task SendRawAsync(IChannel channel, string queue, string body)
    {
        var properties = new BasicProperties { ContentType = RawMessages.MassTransitJson, Persistent = true, MessageId = Guid.NewGuid().ToString() };
        await channel.BasicPublishAsync("", queue, mandatory: false, properties, Encoding.UTF8.GetBytes(body));
    }

    private static async Task<List<JsonObject>> DeadLettersAsync(HttpClient admin, string service)
    {
        var page = await admin.GetFromJsonAsync<JsonObject>($"/admin/v1/dead-letters/{service}?limit=500");
        return [.. page!["data"]!.AsArray().Select(l => l!.AsObject())];
    }
}
