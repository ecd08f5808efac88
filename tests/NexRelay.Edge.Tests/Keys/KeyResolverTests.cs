using NexRelay.Contracts.Keys;
using NexRelay.Edge.Keys;
using NexRelay.Testing;
using StackExchange.Redis;

namespace NexRelay.Edge.Tests.Keys;

/// <summary>The resolver against the real Redis, with a real HTTP lookup server behind it. Each test uses fresh keys.</summary>
public sealed class KeyResolverTests : IAsyncLifetime
{
    private ConnectionMultiplexer _redis = null!;
    private KeyPolicyLookupServer _keyPolicy = null!;

    public async Task InitializeAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        _keyPolicy = await KeyPolicyLookupServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _keyPolicy.DisposeAsync();
        await _redis.DisposeAsync();
    }

    internal static KeySnapshot Snapshot(string name = "k", string state = "active", int? rpm = 60) => new()
    {
        Id = Guid.NewGuid(),
        WalletId = Guid.NewGuid(),
        Name = name,
        Hint = "nrk_…abcd",
        State = state,
        Policy = new KeyPolicy { AllowedModels = ["gpt-*"], MaxOutputTokens = 256, Rpm = rpm, BudgetMicros = 5_000_000 },
    };

    internal static string Hash(string key) => KeyHash.Compute(EdgeKeysHost.HashSecret, key);

    private Task SeedRedisAsync(string key, KeySnapshot snapshot) =>
        _redis.GetDatabase().StringSetAsync(KeyHash.RedisKey(Hash(key)), KeySnapshotJson.Serialize(snapshot), TimeSpan.FromMinutes(5));

    [Fact]
    public async Task Resolves_from_redis_then_serves_from_memory_without_any_network_call()
    {
        await using var edge = await EdgeKeysHost.StartAsync(_keyPolicy.Url);
        var key = KeyHash.Generate();
        var original = Snapshot("original");
        await SeedRedisAsync(key, original);

        Assert.Equal(original, await edge.Resolver.ResolveAsync(key, CancellationToken.None), SnapshotComparer.Instance);

        // Change Redis behind the cache's back: a cache hit must not look.
        await SeedRedisAsync(key, Snapshot("changed"));
        var again = await edge.Resolver.ResolveAsync(key, CancellationToken.None);
        Assert.Equal("original", again!.Name);
        Assert.Equal(0, _keyPolicy.Calls);
    }

    [Fact]
    public async Task Evicting_a_hash_makes_the_next_resolve_read_redis_again()
    {
        await using var edge = await EdgeKeysHost.StartAsync(_keyPolicy.Url);
        var key = KeyHash.Generate();
        await SeedRedisAsync(key, Snapshot("before"));
        Assert.Equal("before", (await edge.Resolver.ResolveAsync(key, CancellationToken.None))!.Name);

        await SeedRedisAsync(key, Snapshot("after", state: "revoked"));
        Assert.True(edge.Resolver.IsCached(Hash(key)));
        edge.Resolver.Evict(Hash(key));
        Assert.False(edge.Resolver.IsCached(Hash(key)));

        var reloaded = await edge.Resolver.ResolveAsync(key, CancellationToken.None);
        Assert.Equal("after", reloaded!.Name);
        Assert.Equal(KeyStatus.Revoked, KeyValidity.Check(reloaded, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task Clearing_drops_every_entry()
    {
        await using var edge = await EdgeKeysHost.StartAsync(_keyPolicy.Url);
        var keys = new[] { KeyHash.Generate(), KeyHash.Generate() };
        foreach (var key in keys)
        {
            await SeedRedisAsync(key, Snapshot("cached"));
            await edge.Resolver.ResolveAsync(key, CancellationToken.None);
            Assert.True(edge.Resolver.IsCached(Hash(key)));
        }
        edge.Resolver.Clear();
        Assert.All(keys, key => Assert.False(edge.Resolver.IsCached(Hash(key))));
    }

    [Fact]
    public async Task Falls_back_to_key_policy_when_redis_has_no_entry_and_then_caches()
    {
        await using var edge = await EdgeKeysHost.StartAsync(_keyPolicy.Url);
        var key = KeyHash.Generate();
        var snapshot = Snapshot("from key-policy");
        _keyPolicy.Keys[Hash(key)] = snapshot;

        var resolved = await edge.Resolver.ResolveAsync(key, CancellationToken.None);
        Assert.Equal(snapshot, resolved, SnapshotComparer.Instance);
        Assert.Equal(1, _keyPolicy.Calls);

        await edge.Resolver.ResolveAsync(key, CancellationToken.None);
        Assert.Equal(1, _keyPolicy.Calls);
    }

    [Fact]
    public async Task Unknown_keys_are_remembered_briefly_then_asked_again()
    {
        await using var edge = await EdgeKeysHost.StartAsync(_keyPolicy.Url, extra: new() { ["NexRelay:Keys:NegativeCacheTtl"] = "00:00:01.500" });
        var key = KeyHash.Generate();

        Assert.Null(await edge.Resolver.ResolveAsync(key, CancellationToken.None));
        Assert.Null(await edge.Resolver.ResolveAsync(key, CancellationToken.None));
        Assert.Equal(1, _keyPolicy.Calls);

        await Task.Delay(1800);
        _keyPolicy.Keys[Hash(key)] = Snapshot("created meanwhile");
        Assert.Equal("created meanwhile", (await edge.Resolver.ResolveAsync(key, CancellationToken.None))!.Name);
        Assert.Equal(2, _keyPolicy.Calls);
    }

    [Fact]
    public async Task The_hard_ttl_bounds_staleness_when_no_event_arrives()
    {
        await using var edge = await EdgeKeysHost.StartAsync(_keyPolicy.Url, extra: new() { ["NexRelay:Keys:CacheTtl"] = "00:00:01.500" });
        var key = KeyHash.Generate();
        await SeedRedisAsync(key, Snapshot("v1"));
        Assert.Equal("v1", (await edge.Resolver.ResolveAsync(key, CancellationToken.None))!.Name);

        await SeedRedisAsync(key, Snapshot("v2"));
        Assert.Equal("v1", (await edge.Resolver.ResolveAsync(key, CancellationToken.None))!.Name);
        await Task.Delay(1800);
        Assert.Equal("v2", (await edge.Resolver.ResolveAsync(key, CancellationToken.None))!.Name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("sk-not-ours")]
    [InlineData("nrk_short")]
    [InlineData("nrk_abcdefghijklmnopqrstuvwxyz0123456789ABCD-F")]
    public async Task Malformed_keys_resolve_to_null_without_any_lookup(string presented)
    {
        await using var edge = await EdgeKeysHost.StartAsync(_keyPolicy.Url);
        Assert.Null(await edge.Resolver.ResolveAsync(presented, CancellationToken.None));
        Assert.Equal(0, _keyPolicy.Calls);
    }

    [Fact]
    public async Task Redis_entries_written_by_key_policy_in_snake_case_are_read()
    {
        await using var edge = await EdgeKeysHost.StartAsync(_keyPolicy.Url);
        var key = KeyHash.Generate();
        var id = Guid.NewGuid();
        var json = $$"""
            {"id":"{{id}}","wallet_id":"{{Guid.NewGuid()}}","name":"raw","hint":"nrk_…wxyz","state":"disabled","expires_at":null,
             "policy":{"allowed_models":["a*"],"max_output_tokens":99,"output_cap_mode":"reject","budget_micros":7,"budget_period":"day","rpm":5,"tpm":500,"log_bodies":true} }
            """;
        await _redis.GetDatabase().StringSetAsync(KeyHash.RedisKey(Hash(key)), json, TimeSpan.FromMinutes(5));

        var resolved = await edge.Resolver.ResolveAsync(key, CancellationToken.None);
        Assert.Equal(id, resolved!.Id);
        Assert.Equal("disabled", resolved.State);
        Assert.Equal(["a*"], resolved.Policy.AllowedModels);
        Assert.Equal(99, resolved.Policy.MaxOutputTokens);
        Assert.Equal("reject", resolved.Policy.OutputCapMode);
        Assert.Equal(7, resolved.Policy.BudgetMicros);
        Assert.Equal("day", resolved.Policy.BudgetPeriod);
        Assert.Equal(500, resolved.Policy.Tpm);
        Assert.True(resolved.Policy.LogBodies);
    }

    [Fact]
    public async Task Key_policy_failing_with_nothing_in_redis_is_an_outage_not_an_unknown_key()
    {
        await using var edge = await EdgeKeysHost.StartAsync(_keyPolicy.Url);
        _keyPolicy.Failing = true;
        var key = KeyHash.Generate();
        await Assert.ThrowsAsync<KeyLookupUnavailableException>(async () => await edge.Resolver.ResolveAsync(key, CancellationToken.None));

        // Nothing was cached: once key-policy answers again, the key resolves.
        _keyPolicy.Failing = false;
        _keyPolicy.Keys[Hash(key)] = Snapshot("back");
        Assert.Equal("back", (await edge.Resolver.ResolveAsync(key, CancellationToken.None))!.Name);
    }

    [Fact]
    public async Task Key_policy_unreachable_is_an_outage()
    {
        await using var edge = await EdgeKeysHost.StartAsync(keyPolicyUrl: null);
        await Assert.ThrowsAsync<KeyLookupUnavailableException>(async () => await edge.Resolver.ResolveAsync(KeyHash.Generate(), CancellationToken.None));
    }

    [Fact]
    public async Task Key_policy_unreachable_stays_an_outage_once_the_clients_circuit_breaker_opens()
    {
        // Enough failures open the HTTP client's breaker, which then rejects calls itself (BrokenCircuitException): still a
        // clean outage (503 at the edge), never an unexpected failure (500). (The cap on unknown-key lookups is lifted: it
        // would refuse these first.)
        await using var edge = await EdgeKeysHost.StartAsync(keyPolicyUrl: null,
            extra: new() { ["NexRelay:Keys:Lookups:UnknownPerSecond"] = "100000", ["NexRelay:Keys:Lookups:MaxConcurrentUnknown"] = "1000" });
        for (var i = 0; i < 150; i++)
        {
            var failure = await Assert.ThrowsAsync<KeyLookupUnavailableException>(async () => await edge.Resolver.ResolveAsync(KeyHash.Generate(), CancellationToken.None));
            if (failure.InnerException is Polly.CircuitBreaker.BrokenCircuitException) return;
        }
        Assert.Fail("the breaker never opened, so this test proves nothing");
    }

    [Fact]
    public async Task A_redis_snapshot_older_than_the_announced_version_is_refused_and_key_policy_answers()
    {
        await using var edge = await EdgeKeysHost.StartAsync(_keyPolicy.Url);
        var key = KeyHash.Generate();
        var active = Snapshot("live") with { Version = 1 };
        await SeedRedisAsync(key, active);
        Assert.Equal("active", (await edge.Resolver.ResolveAsync(key, CancellationToken.None))!.State);

        // Revoked at version 2, but the Redis write was lost: Redis still holds version 1.
        _keyPolicy.Keys[Hash(key)] = active with { State = "revoked", Version = 2 };
        edge.Resolver.Evict(Hash(key), version: 2);

        var resolved = await edge.Resolver.ResolveAsync(key, CancellationToken.None);
        Assert.Equal(("revoked", 2L), (resolved!.State, resolved.Version));
        Assert.Equal(1, _keyPolicy.Calls);
        // Key-policy's answer is current: cached like any other.
        Assert.Equal("revoked", (await edge.Resolver.ResolveAsync(key, CancellationToken.None))!.State);
        Assert.Equal(1, _keyPolicy.Calls);
    }

    [Fact]
    public async Task After_a_rotation_the_old_secret_is_refused_though_redis_still_holds_it_active()
    {
        await using var edge = await EdgeKeysHost.StartAsync(_keyPolicy.Url);
        var oldKey = KeyHash.Generate();
        var newKey = KeyHash.Generate();
        var live = Snapshot("live") with { Version = 1 };
        await SeedRedisAsync(oldKey, live);
        Assert.Equal("active", (await edge.Resolver.ResolveAsync(oldKey, CancellationToken.None))!.State);

        // Rotated at version 2; the tombstone under the old hash never reached Redis. Key-policy knows only the new hash.
        _keyPolicy.Keys[Hash(newKey)] = live with { Version = 2 };
        edge.Resolver.Evict(Hash(newKey), version: 2);
        edge.Resolver.Evict(Hash(oldKey), version: 2);

        Assert.Null(await edge.Resolver.ResolveAsync(oldKey, CancellationToken.None));
        Assert.Equal("active", (await edge.Resolver.ResolveAsync(newKey, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task A_redis_snapshot_at_or_above_the_announced_version_is_used()
    {
        await using var edge = await EdgeKeysHost.StartAsync(_keyPolicy.Url);
        var key = KeyHash.Generate();
        await SeedRedisAsync(key, Snapshot("v3") with { Version = 3 });
        edge.Resolver.Evict(Hash(key), version: 3);
        Assert.Equal("v3", (await edge.Resolver.ResolveAsync(key, CancellationToken.None))!.Name);
        Assert.Equal(0, _keyPolicy.Calls);
    }

    [Fact]
    public async Task With_redis_stale_and_key_policy_unreachable_the_lookup_fails_rather_than_serve_the_stale_snapshot()
    {
        await using var edge = await EdgeKeysHost.StartAsync(keyPolicyUrl: null);
        var key = KeyHash.Generate();
        await SeedRedisAsync(key, Snapshot("live") with { Version = 1 });
        edge.Resolver.Evict(Hash(key), version: 2);

        await Assert.ThrowsAsync<KeyLookupUnavailableException>(async () => await edge.Resolver.ResolveAsync(key, CancellationToken.None));
        await Assert.ThrowsAsync<KeyLookupUnavailableException>(async () => await edge.Resolver.ResolveAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task A_key_policy_answer_behind_the_announced_version_is_served_but_cached_only_briefly()
    {
        await using var edge = await EdgeKeysHost.StartAsync(_keyPolicy.Url);
        var key = KeyHash.Generate();
        // The event (version 2) went out just before the change committed: key-policy still answers version 1.
        _keyPolicy.Keys[Hash(key)] = Snapshot("committing") with { Version = 1 };
        edge.Resolver.Evict(Hash(key), version: 2);

        Assert.Equal("committing", (await edge.Resolver.ResolveAsync(key, CancellationToken.None))!.Name);
        Assert.Equal("committing", (await edge.Resolver.ResolveAsync(key, CancellationToken.None))!.Name);
        Assert.Equal(1, _keyPolicy.Calls);

        _keyPolicy.Keys[Hash(key)] = Snapshot("committed", state: "revoked") with { Version = 2 };
        await Task.Delay(KeyResolver.BehindCacheTtl + TimeSpan.FromMilliseconds(100));
        Assert.Equal("revoked", (await edge.Resolver.ResolveAsync(key, CancellationToken.None))!.State);
        Assert.Equal(2, _keyPolicy.Calls);
    }

    [Fact]
    public async Task Snapshots_without_a_version_from_an_older_key_policy_read_as_version_zero()
    {
        await using var edge = await EdgeKeysHost.StartAsync(_keyPolicy.Url);
        var key = KeyHash.Generate();
        var json = KeySnapshotJson.Serialize(Snapshot("unversioned"));
        Assert.Contains("\"version\":0", json);
        await _redis.GetDatabase().StringSetAsync(KeyHash.RedisKey(Hash(key)), json.Replace(",\"version\":0", ""), TimeSpan.FromMinutes(5));

        var resolved = await edge.Resolver.ResolveAsync(key, CancellationToken.None);
        Assert.Equal(("unversioned", 0L), (resolved!.Name, resolved.Version));
        edge.Resolver.Evict(Hash(key)); // an event from an older key-policy: no version
        Assert.Equal("unversioned", (await edge.Resolver.ResolveAsync(key, CancellationToken.None))!.Name);
        Assert.Equal(0, _keyPolicy.Calls);

        _keyPolicy.Keys[Hash(key)] = Snapshot("versioned") with { Version = 1 };
        edge.Resolver.Evict(Hash(key), version: 1);
        Assert.Equal("versioned", (await edge.Resolver.ResolveAsync(key, CancellationToken.None))!.Name);
    }

    [Fact]
    public async Task A_replica_that_forgot_announcements_trusts_no_redis_snapshot_it_cannot_vouch_for()
    {
        await using var edge = await EdgeKeysHost.StartAsync(_keyPolicy.Url, extra: new() { ["NexRelay:Keys:VersionCapacity"] = "1" });
        edge.Resolver.Evict(Hash(KeyHash.Generate()), version: 1);
        edge.Resolver.Evict(Hash(KeyHash.Generate()), version: 1); // the first one is forgotten

        var key = KeyHash.Generate();
        await SeedRedisAsync(key, Snapshot("in redis"));
        _keyPolicy.Keys[Hash(key)] = Snapshot("from key-policy");
        Assert.Equal("from key-policy", (await edge.Resolver.ResolveAsync(key, CancellationToken.None))!.Name);
    }

    [Fact]
    public async Task A_redis_that_is_down_is_skipped_at_once()
    {
        await using var edge = await EdgeKeysHost.StartAsync(_keyPolicy.Url, extra: new() { ["ConnectionStrings:redis"] = "127.0.0.1:9,abortConnect=false" });
        Assert.Null(await edge.Resolver.ResolveAsync(KeyHash.Generate(), CancellationToken.None)); // warm: connections, JIT
        var key = KeyHash.Generate();
        _keyPolicy.Keys[Hash(key)] = Snapshot("from key-policy");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("from key-policy", (await edge.Resolver.ResolveAsync(key, CancellationToken.None))!.Name);
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(500), $"took {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task The_edge_refuses_to_start_without_a_long_enough_hash_secret()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => EdgeKeysHost.StartAsync(_keyPolicy.Url, extra: new() { ["NexRelay:KeyHashSecret"] = "short" }));
        Assert.Contains("NexRelay:KeyHashSecret", ex.Message);
    }

    /// <summary>Records compare lists by reference; compare snapshots by their JSON instead.</summary>
    private sealed class SnapshotComparer : IEqualityComparer<KeySnapshot?>
    {
        public static readonly SnapshotComparer Instance = new();

        public bool Equals(KeySnapshot? x, KeySnapshot? y) =>
            (x is null ? "null" : KeySnapshotJson.Serialize(x)) == (y is null ? "null" : KeySnapshotJson.Serialize(y));

        public int GetHashCode(KeySnapshot? obj) => 0;
    }
}
