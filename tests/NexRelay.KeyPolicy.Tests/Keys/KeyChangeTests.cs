using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using NexRelay.Contracts.Keys;
using NexRelay.KeyPolicy.Keys;
using NexRelay.Testing;
using StackExchange.Redis;

namespace NexRelay.KeyPolicy.Tests.Keys;

/// <summary>
/// A change to a key is either announced to the edges (KeyChanged with the row's new version) and made, or refused and not
/// made; Redis missing a write never undoes it, and key-policy rewrites Redis once it can. Each test runs key-policy on a
/// database and a Redis user of its own; the fixture's listener sees every KeyChanged on the broker.
/// </summary>
public sealed class KeyChangeTests(KeyPolicyFixture fx) : IClassFixture<KeyPolicyFixture>, IAsyncLifetime
{
    public enum PolicyChange
    {
        Revoke,
        AllowedModels,
        Budget,
    }

    private static readonly TimeSpan RepairWait = TimeSpan.FromSeconds(20);
    private string _database = "";
    private RedisUser _redisUser = null!;

    public async Task InitializeAsync()
    {
        _database = await TestInfrastructure.CreateDatabaseAsync("keypolicy");
        _redisUser = await RedisUser.CreateAsync(fx.Redis);
    }

    public async Task DisposeAsync()
    {
        await _redisUser.DisposeAsync();
        await TestInfrastructure.DropDatabaseAsync(_database);
    }

    private static string Hash(string key) => KeyHash.Compute(KeyPolicyFixture.HashSecret, key);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static Task<HttpResponseMessage> ApplyAsync(HttpClient admin, Guid id, PolicyChange change) => change switch
    {
        PolicyChange.Revoke => admin.DeleteAsync($"/admin/v1/keys/{id}"),
        PolicyChange.AllowedModels => admin.PatchAsync($"/admin/v1/keys/{id}", Json("""{"allowed_models":["claude-*"]}""")),
        _ => admin.PatchAsync($"/admin/v1/keys/{id}", Json("""{"budget_usd":0}""")),
    };

    /// <summary>True when <paramref name="snapshot"/> shows <paramref name="change"/>; false when it shows the key as created.</summary>
    private static bool Shows(KeySnapshot snapshot, PolicyChange change) => change switch
    {
        PolicyChange.Revoke => snapshot.State == "revoked",
        PolicyChange.AllowedModels => snapshot.Policy.AllowedModels.SequenceEqual(["claude-*"]),
        _ => snapshot.Policy.BudgetMicros == 0,
    };

    private async Task<KeySnapshot?> RedisSnapshotAsync(string hash)
    {
        var json = await fx.Redis.GetDatabase().StringGetAsync(KeyHash.RedisKey(hash));
        return json.HasValue ? KeySnapshotJson.Deserialize(json.ToString()) : null;
    }

    private static async Task<KeySnapshot> LookupAsync(KeyPolicyInstance keyPolicy, string hash)
    {
        using var response = await keyPolicy.LookupAsync(hash);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<KeySnapshot>(KeySnapshotJson.Options))!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < RepairWait, $"{what} within {RepairWait.TotalSeconds} s");
            await Task.Delay(100);
        }
    }

    /// <summary>Puts back what Redis held for <paramref name="hash"/> before, as a failover to a replica that missed the later writes would.</summary>
    private async Task RestoreRedisAsync(string hash, RedisValue snapshotJson, long version)
    {
        var db = fx.Redis.GetDatabase();
        await db.StringSetAsync(KeyHash.RedisKey(hash), snapshotJson, TimeSpan.FromMinutes(10));
        await db.StringSetAsync(KeySnapshotWriter.VersionKey(hash), version, TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task Every_change_carries_the_rows_new_version_in_KeyChanged_the_lookup_and_redis()
    {
        await using var keyPolicy = KeyPolicyInstance.Start(_database, _redisUser);
        var (id, key) = await keyPolicy.CreateKeyAsync();
        Assert.Equal(0, (await fx.WaitForEventAsync(id, "created")).Version);
        Assert.Equal(0, (await LookupAsync(keyPolicy, Hash(key))).Version);

        Assert.Equal(HttpStatusCode.OK, (await keyPolicy.Client.PatchAsync($"/admin/v1/keys/{id}", Json("""{"rpm":7}"""))).StatusCode);
        Assert.Equal(1, (await fx.WaitForEventAsync(id, "updated")).Version);

        using var rotate = await keyPolicy.Client.PostAsync($"/admin/v1/keys/{id}/rotate", null);
        var newKey = (await rotate.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
        var rotated = await fx.WaitForEventAsync(id, "rotated");
        Assert.Equal(2, rotated.Version);
        Assert.Equal(new[] { Hash(key), Hash(newKey) }.Order(), rotated.KeyHashes.Order());

        Assert.Equal(HttpStatusCode.OK, (await keyPolicy.Client.DeleteAsync($"/admin/v1/keys/{id}")).StatusCode);
        Assert.Equal(3, (await fx.WaitForEventAsync(id, "revoked")).Version);

        var snapshot = await LookupAsync(keyPolicy, Hash(newKey));
        Assert.Equal(("revoked", 3L), (snapshot.State, snapshot.Version));
        var json = (await fx.Redis.GetDatabase().StringGetAsync(KeyHash.RedisKey(Hash(newKey)))).ToString();
        Assert.Contains("\"version\":3", json);
        // The old hash keeps the tombstone the rotation wrote, at the rotation's version.
        var tombstone = (await RedisSnapshotAsync(Hash(key)))!;
        Assert.Equal(("revoked", 2L), (tombstone.State, tombstone.Version));
    }

    [Theory]
    [InlineData(PolicyChange.Revoke)]
    [InlineData(PolicyChange.AllowedModels)]
    [InlineData(PolicyChange.Budget)]
    public async Task A_change_redis_refuses_is_made_and_announced_and_redis_is_rewritten_once_it_takes_writes_again(PolicyChange change)
    {
        await using var keyPolicy = KeyPolicyInstance.Start(_database, _redisUser);
        var (id, key) = await keyPolicy.CreateKeyAsync();
        var hash = Hash(key);
        Assert.Equal(0, (await RedisSnapshotAsync(hash))!.Version);

        await _redisUser.RefuseWritesAsync();
        using var response = await ApplyAsync(keyPolicy.Client, id, change);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, (await fx.WaitForEventAsync(id, change == PolicyChange.Revoke ? "revoked" : "updated")).Version);
        var truth = await LookupAsync(keyPolicy, hash);
        Assert.True(Shows(truth, change) && truth.Version == 1, KeySnapshotJson.Serialize(truth));
        // What an edge that missed the event would read: the old state, at the old version (which edges that saw it refuse).
        var stale = (await RedisSnapshotAsync(hash))!;
        Assert.False(Shows(stale, change));
        Assert.Equal(0, stale.Version);

        await _redisUser.AllowWritesAsync();
        await WaitUntilAsync(async () => await RedisSnapshotAsync(hash) is { Version: 1 } s && Shows(s, change),
            "key-policy rewrote the snapshot Redis had refused");
    }

    [Fact]
    public async Task Redis_is_rewritten_when_the_connection_comes_back_with_old_data()
    {
        await using var keyPolicy = KeyPolicyInstance.Start(_database, _redisUser);
        var (id, key) = await keyPolicy.CreateKeyAsync();
        var hash = Hash(key);
        var before = await fx.Redis.GetDatabase().StringGetAsync(KeyHash.RedisKey(hash));
        Assert.Equal(HttpStatusCode.OK, (await keyPolicy.Client.DeleteAsync($"/admin/v1/keys/{id}")).StatusCode);
        Assert.Equal("revoked", (await RedisSnapshotAsync(hash))!.State);

        await RestoreRedisAsync(hash, before, version: 0);
        await Task.Delay(1000);
        Assert.Equal("active", (await RedisSnapshotAsync(hash))!.State); // nothing rewrites it by itself...

        await _redisUser.DropConnectionsAsync();                          // ...until key-policy reconnects
        await WaitUntilAsync(async () => await RedisSnapshotAsync(hash) is { State: "revoked", Version: 1 }, "the snapshot was rewritten after the reconnect");
    }

    [Fact]
    public async Task Redis_is_rewritten_at_start_for_recent_changes_and_retired_hashes()
    {
        string revokedHash, rotatedOutHash;
        RedisValue revokedBefore, rotatedBefore;
        await using (var first = KeyPolicyInstance.Start(_database, _redisUser))
        {
            var (revokedId, revokedKey) = await first.CreateKeyAsync();
            revokedHash = Hash(revokedKey);
            revokedBefore = await fx.Redis.GetDatabase().StringGetAsync(KeyHash.RedisKey(revokedHash));
            Assert.Equal(HttpStatusCode.OK, (await first.Client.DeleteAsync($"/admin/v1/keys/{revokedId}")).StatusCode);

            var (rotatedId, rotatedKey) = await first.CreateKeyAsync();
            rotatedOutHash = Hash(rotatedKey);
            rotatedBefore = await fx.Redis.GetDatabase().StringGetAsync(KeyHash.RedisKey(rotatedOutHash));
            Assert.Equal(HttpStatusCode.OK, (await first.Client.PostAsync($"/admin/v1/keys/{rotatedId}/rotate", null)).StatusCode);
        }
        await RestoreRedisAsync(revokedHash, revokedBefore, version: 0);
        await RestoreRedisAsync(rotatedOutHash, rotatedBefore, version: 0);

        await using var second = KeyPolicyInstance.Start(_database, _redisUser);
        await WaitUntilAsync(async () => await RedisSnapshotAsync(revokedHash) is { State: "revoked", Version: 1 }
            && await RedisSnapshotAsync(rotatedOutHash) is { State: "revoked", Version: 1 }, "the snapshots were rewritten at start");
    }

    [Fact]
    public async Task A_change_that_cannot_be_announced_is_refused_with_503_and_changes_nothing()
    {
        await using var keyPolicy = KeyPolicyInstance.Start(_database, _redisUser, messaging: "amqp://nexrelay:nothing@127.0.0.1:9/");
        // A new key needs no announcement (no edge can hold anything for it): created all the same.
        var (id, key) = await keyPolicy.CreateKeyAsync();
        var hash = Hash(key);
        var before = (await keyPolicy.Client.GetFromJsonAsync<JsonObject>($"/admin/v1/keys/{id}"))!.ToJsonString();

        foreach (var attempt in new Func<Task<HttpResponseMessage>>[]
        {
            () => ApplyAsync(keyPolicy.Client, id, PolicyChange.Revoke),
            () => ApplyAsync(keyPolicy.Client, id, PolicyChange.AllowedModels),
            () => ApplyAsync(keyPolicy.Client, id, PolicyChange.Budget),
            () => keyPolicy.Client.PostAsync($"/admin/v1/keys/{id}/rotate", null),
        })
        {
            using var response = await attempt();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal("https://nexrelay.dev/problems/service-unavailable", problem["type"]!.GetValue<string>());

            Assert.Equal(before, (await keyPolicy.Client.GetFromJsonAsync<JsonObject>($"/admin/v1/keys/{id}"))!.ToJsonString());
            foreach (var snapshot in new[] { await LookupAsync(keyPolicy, hash), (await RedisSnapshotAsync(hash))! })
            {
                Assert.Equal(("active", 0L, 5_000_000L), (snapshot.State, snapshot.Version, snapshot.Policy.BudgetMicros!.Value));
                Assert.Equal(["gpt-*"], snapshot.Policy.AllowedModels);
            }
        }
        Assert.DoesNotContain(fx.Events, e => e.KeyId == id);
    }
}
