using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using NexRelay.ServiceDefaults;

namespace NexRelay.Chaos.Tests;

public sealed partial class Scenarios
{
    [Fact]
    public async Task S07_Keys_keep_working_from_the_cache_while_key_policy_is_killed_and_Redis_is_stopped()
    {
        var cached = await cluster.TenantAsync(20m);
        var revoked = await cluster.TenantAsync(20m);
        var unseen = await cluster.TenantAsync(20m);
        var load = new Load(cluster, [cached, revoked, unseen], new LoadShape());

        // The revoked key was in use on both edges, then revoked before the outage; the edges are told (KeyChanged).
        foreach (var edge in cluster.Edges) Assert.True((await load.SendRecordedAsync(edge, revoked, "gpt-5.4")).Complete);
        using (var admin = cluster.AdminClient())
        using (var revoke = await admin.DeleteAsync($"/admin/v1/keys/{revoked.KeyId}"))
        {
            Assert.True(revoke.IsSuccessStatusCode, await revoke.Content.ReadAsStringAsync());
        }
        foreach (var edge in cluster.Edges)
        {
            await Timing.UntilAsync(async () => (await load.SendRecordedAsync(edge, revoked, "gpt-5.4")).Status == 401, TimeSpan.FromSeconds(10), "the revocation on every edge");
        }
        // The cached key is in both edges' caches (30 s from now), the unseen one in neither.
        var warmed = Stopwatch.StartNew();
        foreach (var edge in cluster.Edges) Assert.True((await load.SendRecordedAsync(edge, cached, "claude-sonnet-4-6")).Complete);

        await ChaosCluster.InfraAsync("stop-redis");
        var unknown = "nrk_" + Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant() + Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
        var during = new System.Collections.Concurrent.ConcurrentBag<ClientRecord>();
        var cachedServed = 0;
        try
        {
            await cluster.KillAndKeepDownAsync(ResourceNames.KeyPolicy);
            // Within the cache's 30 s: the cached key works on both edges, all three formats; the revoked key never does; keys
            // the edges cannot check (unseen, unknown: lookups fail) get a clear 503 or 401 in the caller's format, never a 500.
            var window = TimeSpan.FromSeconds(22);
            var uncheckable = Task.Run(async () =>
            {
                while (warmed.Elapsed < window)
                {
                    foreach (var edge in cluster.Edges)
                    {
                        foreach (var model in new[] { "gpt-5.4", "claude-sonnet-4-6", "gemini-2.5-flash" })
                        {
                            during.Add(await load.SendRecordedAsync(edge, unseen, model));
                            during.Add(await SendWithKeyAsync(load, edge, unknown, model));
                        }
                    }
                }
            });
            while (warmed.Elapsed < window)
            {
                foreach (var edge in cluster.Edges)
                {
                    foreach (var model in new[] { "gpt-5.4", "claude-sonnet-4-6", "gemini-2.5-flash" })
                    {
                        var ok = await load.SendRecordedAsync(edge, cached, model);
                        Assert.True(ok.Complete, $"the cached key failed {warmed.Elapsed.TotalSeconds:0.0} s after it was cached: {ok.Status} {ok.Error}");
                        cachedServed++;
                        var refused = await load.SendRecordedAsync(edge, revoked, model);
                        Assert.True(refused.Status == 401, $"the revoked key got {refused.Status} {refused.Error}");
                    }
                }
            }
            await uncheckable;
        }
        finally
        {
            await ChaosCluster.InfraAsync("start-redis");
            await cluster.StartAgainAsync(ResourceNames.KeyPolicy);
        }
        Assert.True(cachedServed >= 6, $"only {cachedServed} requests of the cached key were sent during the outage");
        Assert.All(during, r => Assert.True(r.Status is 401 or 429 or 503, $"{r.Model}: {r.Status} {r.Error}"));
        Assert.All(during, r => Assert.True(ErrorShaped(r), $"{r.Model}: not in the caller's error format: {r.Error}"));
        Assert.Contains(during, r => r.Status == 503 && r.Tenant == unseen); // a valid key the edges cannot check is not called invalid

        // Back: the unseen key works, the revoked one still does not.
        var recovered = await Timing.UntilAsync(async () => (await load.SendRecordedAsync(cluster.Edges[0], unseen, "gpt-5.4")).Complete,
            TimeSpan.FromSeconds(60), "the unseen key after the outage");
        foreach (var edge in cluster.Edges) Assert.Equal(401, (await load.SendRecordedAsync(edge, revoked, "gpt-5.4")).Status);

        await using var sampler = new BalanceSampler(_truth).Start();
        await ReportAsync("7. Key-policy SIGKILL and Redis stopped", $"both down ~20 s; {cachedServed} cached-key requests served, {during.Count(r => r.Status == 503)} × 503 for uncheckable keys",
            load, [cached, revoked, unseen], sampler);
        Assert.True(recovered < TimeSpan.FromSeconds(60));
    }

    /// <summary>A request with a key that is no tenant's (recorded with a throwaway tenant, so the checker ignores it).</summary>
    private static async Task<ClientRecord> SendWithKeyAsync(Load load, HttpClient edge, string key, string model)
    {
        var stranger = new Tenant(Guid.Empty, Guid.Empty, key, 0m);
        return await load.SendAsync(edge, stranger, model, stream: false, abandonAfter: null);
    }

    /// <summary>The error body is the caller's format: OpenAI and Gemini put an "error" object at the top, Anthropic a "type":"error".</summary>
    private static bool ErrorShaped(ClientRecord record)
    {
        if (record.Error is null) return false;
        JsonObject? body;
        try
        {
            body = JsonNode.Parse(record.Error) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
        if (body is null) return false;
        return record.Model.StartsWith("claude", StringComparison.Ordinal)
            ? body["type"]?.GetValue<string>() == "error" && body["error"] is JsonObject
            : body["error"] is JsonObject error && (record.Model.StartsWith("gemini", StringComparison.Ordinal) ? error["status"] is not null : error["message"] is not null);
    }
}
