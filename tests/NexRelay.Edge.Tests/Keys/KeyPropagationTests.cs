using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using NexRelay.Contracts.Keys;
using NexRelay.Contracts.Messages;
using NexRelay.Edge.Keys;
using NexRelay.Testing;
using StackExchange.Redis;

namespace NexRelay.Edge.Tests.Keys;

/// <summary>Two edge replicas with the real RabbitMQ bus: a change reaches both caches through KeyChanged.</summary>
public sealed class KeyPropagationTests
{
    [Fact]
    public async Task A_revocation_reaches_every_replica_within_one_second()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        await using var replicaA = await EdgeKeysHost.StartAsync(withBus: true);
        await using var replicaB = await EdgeKeysHost.StartAsync(withBus: true);

        var key = KeyHash.Generate();
        var hash = KeyResolverTests.Hash(key);
        var active = KeyResolverTests.Snapshot("live");
        var db = redis.GetDatabase();
        await db.StringSetAsync(KeyHash.RedisKey(hash), KeySnapshotJson.Serialize(active), TimeSpan.FromMinutes(5));
        Assert.Equal("active", (await replicaA.Resolver.ResolveAsync(key, CancellationToken.None))!.State);
        Assert.Equal("active", (await replicaB.Resolver.ResolveAsync(key, CancellationToken.None))!.State);

        await WarmUpAsync(db, replicaA, replicaB);

        // What key-policy does on revoke: Redis first, then the event.
        await db.StringSetAsync(KeyHash.RedisKey(hash), KeySnapshotJson.Serialize(active with { State = "revoked" }), TimeSpan.FromMinutes(5));
        Assert.Equal("active", (await replicaA.Resolver.ResolveAsync(key, CancellationToken.None))!.State);
        Assert.Equal("active", (await replicaB.Resolver.ResolveAsync(key, CancellationToken.None))!.State);

        var stopwatch = Stopwatch.StartNew();
        await replicaA.Services.GetRequiredService<IBus>().Publish(new KeyChanged
        {
            KeyId = active.Id,
            KeyHashes = [hash],
            Change = "revoked",
            ChangedAt = DateTimeOffset.UtcNow,
        });

        var seenA = await WaitForRevokedAsync(replicaA.Resolver, key, stopwatch);
        var seenB = await WaitForRevokedAsync(replicaB.Resolver, key, stopwatch);
        Assert.True(seenA < TimeSpan.FromSeconds(1), $"replica A saw the revocation after {seenA.TotalMilliseconds} ms");
        Assert.True(seenB < TimeSpan.FromSeconds(1), $"replica B saw the revocation after {seenB.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_revocation_whose_redis_write_was_lost_still_reaches_every_replica_within_one_second_and_stays()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        await using var keyPolicy = await KeyPolicyLookupServer.StartAsync();
        await using var replicaA = await EdgeKeysHost.StartAsync(keyPolicy.Url, withBus: true);
        await using var replicaB = await EdgeKeysHost.StartAsync(keyPolicy.Url, withBus: true);

        var key = KeyHash.Generate();
        var hash = KeyResolverTests.Hash(key);
        var active = KeyResolverTests.Snapshot("live") with { Version = 4 };
        await redis.GetDatabase().StringSetAsync(KeyHash.RedisKey(hash), KeySnapshotJson.Serialize(active), TimeSpan.FromMinutes(5));
        Assert.Equal("active", (await replicaA.Resolver.ResolveAsync(key, CancellationToken.None))!.State);
        Assert.Equal("active", (await replicaB.Resolver.ResolveAsync(key, CancellationToken.None))!.State);

        // Each replica has asked key-policy before (an unknown key), as a running edge has: the clock below measures the event
        // and the lookup, not the first connection.
        Assert.Null(await replicaA.Resolver.ResolveAsync(KeyHash.Generate(), CancellationToken.None));
        Assert.Null(await replicaB.Resolver.ResolveAsync(KeyHash.Generate(), CancellationToken.None));

        await WarmUpAsync(redis.GetDatabase(), replicaA, replicaB);

        // Revoked at version 5; Redis refused the write (or a failover lost it) and still says active at version 4.
        keyPolicy.Keys[hash] = active with { State = "revoked", Version = 5 };
        var stopwatch = Stopwatch.StartNew();
        await replicaA.Services.GetRequiredService<IBus>().Publish(new KeyChanged
        {
            KeyId = active.Id,
            KeyHashes = [hash],
            Change = "revoked",
            ChangedAt = DateTimeOffset.UtcNow,
            Version = 5,
        });

        var seenA = await WaitForRevokedAsync(replicaA.Resolver, key, stopwatch);
        var seenB = await WaitForRevokedAsync(replicaB.Resolver, key, stopwatch);
        Assert.True(seenA < TimeSpan.FromSeconds(1), $"replica A saw the revocation after {seenA.TotalMilliseconds} ms");
        Assert.True(seenB < TimeSpan.FromSeconds(1), $"replica B saw the revocation after {seenB.TotalMilliseconds} ms");

        // And it stays revoked: neither replica goes back to the active snapshot still in Redis.
        foreach (var edge in new[] { replicaA, replicaB })
        {
            edge.Resolver.Evict(hash);
            Assert.Equal("revoked", (await edge.Resolver.ResolveAsync(key, CancellationToken.None))!.State);
        }
    }

    [Fact]
    public async Task A_KeyChanged_from_a_key_policy_without_versions_still_evicts_on_every_replica()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        await using var replicaA = await EdgeKeysHost.StartAsync(withBus: true);
        await using var replicaB = await EdgeKeysHost.StartAsync(withBus: true);

        var key = KeyHash.Generate();
        var hash = KeyResolverTests.Hash(key);
        var active = KeyResolverTests.Snapshot("live");
        var db = redis.GetDatabase();
        await db.StringSetAsync(KeyHash.RedisKey(hash), KeySnapshotJson.Serialize(active), TimeSpan.FromMinutes(5));
        Assert.Equal("active", (await replicaA.Resolver.ResolveAsync(key, CancellationToken.None))!.State);
        Assert.Equal("active", (await replicaB.Resolver.ResolveAsync(key, CancellationToken.None))!.State);

        // What key-policy did before versions: Redis first, then the event, whose JSON has no "version", on the same exchange.
        var olderKeyPolicy = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(TestInfrastructure.RabbitMq));
            cfg.Message<UnversionedKeyChanged>(m => m.SetEntityName("NexRelay.Contracts.Messages:KeyChanged"));
        });
        await olderKeyPolicy.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        await db.StringSetAsync(KeyHash.RedisKey(hash), KeySnapshotJson.Serialize(active with { State = "revoked" }), TimeSpan.FromMinutes(5));
        var stopwatch = Stopwatch.StartNew();
        await olderKeyPolicy.Publish(new UnversionedKeyChanged
        {
            KeyId = active.Id,
            KeyHashes = [hash],
            Change = "revoked",
            ChangedAt = DateTimeOffset.UtcNow,
        });
        await olderKeyPolicy.StopAsync();

        Assert.True(await WaitForRevokedAsync(replicaA.Resolver, key, stopwatch) < TimeSpan.FromSeconds(2));
        Assert.True(await WaitForRevokedAsync(replicaB.Resolver, key, stopwatch) < TimeSpan.FromSeconds(2));
    }

    /// <summary>KeyChanged as key-policy published it before versions existed: same message type, no Version.</summary>
    [MessageUrn("NexRelay.Contracts.Messages:KeyChanged")]
    public sealed record UnversionedKeyChanged
    {
        public required Guid KeyId { get; init; }
        public required IReadOnlyList<string> KeyHashes { get; init; }
        public required string Change { get; init; }
        public required DateTimeOffset ChangedAt { get; init; }
    }

    /// <summary>
    /// One revocation of another key through the same bus, unmeasured: a fresh bus declares its exchange and bindings on its
    /// first publish, which took up to 1.8 s on two busy cores; the clock measures a running edge's propagation, not that.
    /// </summary>
    private static async Task WarmUpAsync(IDatabase db, EdgeKeysHost replicaA, EdgeKeysHost replicaB)
    {
        var key = KeyHash.Generate();
        var hash = KeyResolverTests.Hash(key);
        var warm = KeyResolverTests.Snapshot("warm-up");
        await db.StringSetAsync(KeyHash.RedisKey(hash), KeySnapshotJson.Serialize(warm), TimeSpan.FromMinutes(5));
        Assert.Equal("active", (await replicaA.Resolver.ResolveAsync(key, CancellationToken.None))!.State);
        Assert.Equal("active", (await replicaB.Resolver.ResolveAsync(key, CancellationToken.None))!.State);
        await db.StringSetAsync(KeyHash.RedisKey(hash), KeySnapshotJson.Serialize(warm with { State = "revoked" }), TimeSpan.FromMinutes(5));
        var stopwatch = Stopwatch.StartNew();
        await replicaA.Services.GetRequiredService<IBus>().Publish(new KeyChanged
        {
            KeyId = warm.Id,
            KeyHashes = [hash],
            Change = "revoked",
            ChangedAt = DateTimeOffset.UtcNow,
        });
        Assert.NotEqual(TimeSpan.MaxValue, await WaitForRevokedAsync(replicaA.Resolver, key, stopwatch));
        Assert.NotEqual(TimeSpan.MaxValue, await WaitForRevokedAsync(replicaB.Resolver, key, stopwatch));
    }

    private static async Task<TimeSpan> WaitForRevokedAsync(KeyResolver resolver, string key, Stopwatch stopwatch)
    {
        while (stopwatch.Elapsed < TimeSpan.FromSeconds(10))
        {
            if ((await resolver.ResolveAsync(key, CancellationToken.None))?.State == "revoked") return stopwatch.Elapsed;
            await Task.Delay(5);
        }
        return TimeSpan.MaxValue;
    }
}
