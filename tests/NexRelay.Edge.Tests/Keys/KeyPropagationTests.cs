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
