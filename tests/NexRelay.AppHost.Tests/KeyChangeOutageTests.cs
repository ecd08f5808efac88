using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;
using NexRelay.ServiceDefaults;
using NexRelay.Testing;
using Xunit.Abstractions;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// A revocation, a policy change (allowed models, budget) or a rotation made while Redis misses writes is in force on both edge
/// replicas within a second, or the admin call fails and the key works exactly as before: an old snapshot in Redis never brings
/// the old key (or the old secret) back, not even after Redis returns with its old data. These disturb the shared Redis and RabbitMQ, so ./test.sh
/// runs them with the other outage tests (trait Category=Outage).
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Outage")]
public sealed class KeyChangeOutageTests(ClusterFixture cluster, ITestOutputHelper output)
{
    public enum PolicyChange
    {
        Revoke,
        AllowedModels,
        Budget,
        Rotate,
    }

    private static readonly PolicyChange[] Changes = [PolicyChange.Revoke, PolicyChange.AllowedModels, PolicyChange.Budget, PolicyChange.Rotate];
    private static readonly TimeSpan InForceWithin = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Watch = TimeSpan.FromSeconds(2);
    // The edges' NexRelay:Keys:CacheTtl (default): by then every edge has reloaded every key at least once.
    private static readonly TimeSpan EdgeCacheTtl = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RepairWait = TimeSpan.FromSeconds(40);

    private sealed record Subject(PolicyChange Change, Tenant Tenant, string Before)
    {
        public bool Applied { get; set; }

        /// <summary>The new secret, once a rotation was made.</summary>
        public string? NewKey { get; set; }
    }

    [Fact]
    public async Task Changes_while_redis_refuses_writes_are_in_force_on_both_edges_within_a_second_or_fail_and_change_nothing()
    {
        var subjects = await PrepareAsync();
        await RedisCliAsync("CONFIG", "SET", "min-replicas-to-write", "1");
        try
        {
            Assert.Contains("NOREPLICAS", await RedisCliAsync("SET", "nexrelay:outage-probe", "1"));
            foreach (var subject in subjects) await ChangeAndWatchAsync(subject);
        }
        finally
        {
            await RedisCliAsync("CONFIG", "SET", "min-replicas-to-write", "0");
        }

        // Redis takes writes again: key-policy's retries rewrite what it refused, and the edges never went back.
        await AssertRedisShowsAsync(subjects);
        await WatchAsync(subjects, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Changes_while_redis_is_down_stay_in_force_when_it_returns_with_the_old_snapshots()
    {
        var subjects = await PrepareAsync();
        await RedisCliAsync("SET", "nexrelay:outage-probe", "kept", "EX", "600");
        await OutageTests.Infra("stop-redis");
        try
        {
            foreach (var subject in subjects) await ChangeAndWatchAsync(subject);
        }
        finally
        {
            await OutageTests.Infra("start-redis");
        }

        // Redis is back with its data (AOF), the snapshots from before the changes too. Watched past the edges' cache lifetime, so
        // each edge has to look every key up again meanwhile: none may take an old snapshot. Key-policy rewrites them on reconnect.
        Assert.Equal("kept", await RedisCliAsync("GET", "nexrelay:outage-probe"));
        await WatchAsync(subjects, EdgeCacheTtl + TimeSpan.FromSeconds(5));
        await AssertRedisShowsAsync(subjects);
    }

    [Fact]
    public async Task Changes_while_rabbitmq_is_down_are_refused_and_the_key_works_exactly_as_before()
    {
        var subjects = await PrepareAsync();
        await OutageTests.Infra("stop-rabbitmq");
        try
        {
            foreach (var subject in subjects) await ChangeAndWatchAsync(subject);
        }
        finally
        {
            await OutageTests.Infra("start-rabbitmq");
        }
        // Edges could not have been told, so no change may have been made.
        Assert.All(subjects, s => Assert.False(s.Applied, $"{s.Change} was applied while no edge could be told"));
    }

    /// <summary>One tenant per change, each key used once on both replicas so both hold it in their caches.</summary>
    private async Task<List<Subject>> PrepareAsync()
    {
        await WaitForMessagingAsync();
        await WaitForKeyChangesAsync();
        var subjects = new List<Subject>();
        using var admin = cluster.AdminClient();
        foreach (var change in Changes)
        {
            var tenant = await Tenant.CreateAsync(cluster, creditUsd: 5m,
                new JsonObject { ["allowed_models"] = new JsonArray("gpt-5.*"), ["budget_usd"] = 2m });
            foreach (var edge in new[] { cluster.Edge, cluster.Edge2 }) Assert.Equal(HttpStatusCode.OK, await ProbeAsync(edge, tenant.Key));
            subjects.Add(new Subject(change, tenant, await admin.GetStringAsync($"/admin/v1/keys/{tenant.KeyId}")));
        }
        return subjects;
    }

    /// <summary>
    /// Makes the change, then: if the admin call succeeded, from one second after it returned the change is in force on both
    /// replicas; if it failed, the key is exactly as before and keeps working on both.
    /// </summary>
    private async Task ChangeAndWatchAsync(Subject subject)
    {
        using var admin = cluster.AdminClient();
        using var response = await ApplyAsync(admin, subject);
        var returned = Stopwatch.StartNew();
        subject.Applied = response.IsSuccessStatusCode;
        if (subject.Applied && subject.Change == PolicyChange.Rotate)
            subject.NewKey = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["key"]!.GetValue<string>();
        output.WriteLine($"{subject.Change}: admin call answered {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        if (!subject.Applied)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(subject.Before, await admin.GetStringAsync($"/admin/v1/keys/{subject.Tenant.KeyId}"));
        }
        if (returned.Elapsed < InForceWithin) await Task.Delay(InForceWithin - returned.Elapsed);
        await WatchAsync([subject], Watch);
    }

    /// <summary>Probes every subject on both replicas for <paramref name="duration"/>: each answer must match whether its change was made.</summary>
    private async Task WatchAsync(IReadOnlyList<Subject> subjects, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        var probes = 0;
        do
        {
            foreach (var subject in subjects)
            {
                foreach (var (edge, name) in new[] { (cluster.Edge, "edge"), (cluster.Edge2, "edge-2") })
                {
                    var expected = subject.Applied ? Refusal(subject.Change) : HttpStatusCode.OK;
                    var status = await ProbeAsync(edge, subject.Tenant.Key);
                    probes++;
                    if (status != expected)
                    {
                        // Which replica heard what: a flat count on one of them is a replica that missed the event.
                        Assert.Fail($"{subject.Change} ({(subject.Applied ? "made" : "refused")}): {name} answered {(int)status}, not {(int)expected}, "
                            + $"{clock.Elapsed.TotalSeconds:F1} s into the watch; KeyChanged received: edge {await ChangesReceivedAsync(cluster.Edge)}, "
                            + $"edge-2 {await ChangesReceivedAsync(cluster.Edge2)}");
                    }
                    if (subject.NewKey is { } newKey)
                    {
                        var newStatus = await ProbeAsync(edge, newKey);
                        Assert.True(newStatus == HttpStatusCode.OK, $"Rotate: {name} answered {(int)newStatus} to the new secret");
                    }
                }
            }
            await Task.Delay(100);
        } while (clock.Elapsed < duration);
        output.WriteLine($"{probes} probes over {duration.TotalSeconds} s as expected");
    }

    /// <summary>
    /// Waits until key-policy and both edges are connected to RabbitMQ (their bus health check is Healthy): after an earlier
    /// test restarted it, an edge whose KeyChanged queue is not back yet would miss the events these tests depend on.
    /// </summary>
    private async Task WaitForMessagingAsync()
    {
        var clock = Stopwatch.StartNew();
        foreach (var resource in new[] { ResourceNames.KeyPolicy, ResourceNames.Edge, ResourceNames.Edge + "-2" })
        {
            using var client = cluster.App.CreateHttpClient(resource, "http");
            while (true)
            {
                using var response = await client.GetAsync("/health"); // 503 while a dependency is down: the body says which
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                var bus = body["checks"]!.AsObject().FirstOrDefault(c => c.Key.Contains("masstransit", StringComparison.OrdinalIgnoreCase));
                if (bus.Value?["status"]?.GetValue<string>() == "Healthy") break;
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"{resource} is not connected to RabbitMQ: {body.ToJsonString()}");
                await Task.Delay(250);
            }
        }
    }

    /// <summary>
    /// Proves that both edges hear <c>KeyChanged</c> before the outage starts: a healthy bus connection does not yet mean that
    /// a replica's own KeyChanged queue is declared and bound again after an earlier test restarted RabbitMQ, and an event
    /// published before that reaches only the other replica. A throwaway key is renamed until each edge's
    /// <c>nexrelay.edge.keys.changes_received</c> has counted one more change.
    /// </summary>
    private async Task WaitForKeyChangesAsync()
    {
        var sentinel = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        using var admin = cluster.AdminClient();
        var edges = new[] { (Client: cluster.Edge, Name: "edge"), (Client: cluster.Edge2, Name: "edge-2") };
        var before = new double[edges.Length];
        for (var i = 0; i < edges.Length; i++) before[i] = await ChangesReceivedAsync(edges[i].Client);
        var clock = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            using (var rename = await admin.PatchAsJsonAsync($"/admin/v1/keys/{sentinel.KeyId}", new JsonObject { ["name"] = $"sentinel {attempt}" }))
                Assert.True(rename.IsSuccessStatusCode, $"renaming the sentinel key: {(int)rename.StatusCode} {await rename.Content.ReadAsStringAsync()}");
            var heard = new bool[edges.Length];
            for (var poll = 0; poll < 20 && !heard.All(h => h); poll++)
            {
                for (var i = 0; i < edges.Length; i++) heard[i] = heard[i] || await ChangesReceivedAsync(edges[i].Client) > before[i];
                if (!heard.All(h => h)) await Task.Delay(250);
            }
            if (heard.All(h => h)) break;
            var deaf = string.Join(", ", edges.Where((_, i) => !heard[i]).Select(e => e.Name));
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"{deaf} heard no KeyChanged in {clock.Elapsed.TotalSeconds:F0} s although the bus reports healthy");
            output.WriteLine($"{deaf} did not hear rename {attempt} yet; renaming again");
        }
        output.WriteLine($"both edges hear KeyChanged ({clock.Elapsed.TotalSeconds:F1} s)");
    }

    /// <summary>The edge's <c>nexrelay.edge.keys.changes_received</c>, summed over its labels, from its Prometheus scrape.</summary>
    private static async Task<double> ChangesReceivedAsync(HttpClient edge)
    {
        var text = await edge.GetStringAsync("/metrics");
        return text.Split('\n')
            .Where(line => line.StartsWith("nexrelay_edge_keys_changes_received_total", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static Task<HttpResponseMessage> ApplyAsync(HttpClient admin, Subject subject)
    {
        var path = $"/admin/v1/keys/{subject.Tenant.KeyId}";
        return subject.Change switch
        {
            PolicyChange.Revoke => admin.DeleteAsync(path),
            PolicyChange.AllowedModels => admin.PatchAsJsonAsync(path, new JsonObject { ["allowed_models"] = new JsonArray("claude-*") }),
            PolicyChange.Budget => admin.PatchAsJsonAsync(path, new JsonObject { ["budget_usd"] = 0m }),
            _ => admin.PostAsync(path + "/rotate", null),
        };
    }

    /// <summary>
    /// What the edge answers the key's original secret once the change is in force: refused (revoked, or replaced by a
    /// rotation), the model no longer allowed, the budget gone.
    /// </summary>
    private static HttpStatusCode Refusal(PolicyChange change) => change switch
    {
        PolicyChange.AllowedModels => HttpStatusCode.Forbidden,
        PolicyChange.Budget => HttpStatusCode.PaymentRequired,
        _ => HttpStatusCode.Unauthorized,
    };

    private static async Task<HttpStatusCode> ProbeAsync(HttpClient edge, string key)
    {
        using var response = await PostAsync(edge, key, "/api/v1/chat/completions", Chat("gpt-5.4"));
        return response.StatusCode;
    }

    /// <summary>
    /// Waits until Redis holds each key's current state under its original secret's hash: the change where it was made (a
    /// revoked tombstone after a rotation), the key as created where not.
    /// </summary>
    private async Task AssertRedisShowsAsync(IReadOnlyList<Subject> subjects)
    {
        foreach (var subject in subjects)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var json = await RedisCliAsync("GET", RedisKeyOf(subject.Tenant));
                var snapshot = json.Length > 0 ? JsonNode.Parse(json) : null;
                var version = snapshot?["version"]?.GetValue<long>() ?? 0;
                var shows = snapshot is not null && subject.Change switch
                {
                    PolicyChange.AllowedModels => snapshot["policy"]!["allowed_models"]!.ToJsonString() == """["claude-*"]""",
                    PolicyChange.Budget => snapshot["policy"]!["budget_micros"]!.GetValue<long>() == 0,
                    _ => snapshot["state"]!.GetValue<string>() == "revoked",
                };
                if (snapshot is not null && shows == subject.Applied && version == (subject.Applied ? 1 : 0)) break;
                Assert.True(clock.Elapsed < RepairWait, $"{subject.Change}: Redis still holds {json} after {RepairWait.TotalSeconds} s");
                await Task.Delay(250);
            }
        }
    }

    private string RedisKeyOf(Tenant tenant) =>
        "nexrelay:key:" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(cluster.KeyHashSecret), Encoding.UTF8.GetBytes(tenant.Key)));

    /// <summary>redis-cli against the test Redis; returns its output (errors included, as redis-cli prints them).</summary>
    private static async Task<string> RedisCliAsync(params string[] args)
    {
        var start = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-p", TestInfrastructure.Need("NEXRELAY_REDIS_PORT"), "--no-auth-warning", "-a", TestInfrastructure.Need("NEXRELAY_REDIS_PASSWORD") })
            start.ArgumentList.Add(arg);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return ((await stdout) + (await stderr)).Trim();
    }
}
