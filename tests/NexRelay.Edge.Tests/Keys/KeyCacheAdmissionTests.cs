using NexRelay.Contracts.Keys;
using NexRelay.Edge.Keys;

namespace NexRelay.Edge.Tests.Keys;

/// <summary>What unknown keys may cost and displace (issue 17, scenario 15): the resolver with key-policy in process, no Redis.</summary>
[Collection(AloneCollection.Name)]
public sealed class KeyCacheAdmissionTests
{
    [Fact]
    public async Task A_million_distinct_unknown_keys_leave_a_cached_real_key_a_cache_hit()
    {
        // The real-key cache is smaller than the flood by far, so one shared cache would have been emptied many times over.
        // Its TTL outlasts the flood however slow the machine (a million lookups took over 30 s on two busy cores): the test is
        // about displacement, not expiry.
        using var keys = new OfflineKeys(o => { o.CacheSizeLimit = 1_000; o.CacheTtl = TimeSpan.FromHours(1); }, lookups: o => o.UnknownPerSecond = 10_000_000);
        var real = keys.RealKey();
        Assert.NotNull(await keys.Resolver.ResolveAsync(real, CancellationToken.None));
        Assert.Equal(1, keys.KeyPolicy.Calls);

        const int flood = 1_000_000;
        var workers = Environment.ProcessorCount;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            for (var i = w; i < flood; i += workers) Assert.Null(await keys.Resolver.ResolveAsync(KeyHash.Generate(), CancellationToken.None));
        })));
        Assert.Equal(1 + flood, keys.KeyPolicy.Calls);

        // Answered from memory: no key-policy call (and the disconnected Redis throws if asked).
        Assert.True(keys.Resolver.TryGetCached(KeyResolverTests.Hash(real), out var cached));
        Assert.Equal("real", cached!.Name);
        Assert.Equal("real", (await keys.Resolver.ResolveAsync(real, CancellationToken.None))!.Name);
        Assert.Equal(1 + flood, keys.KeyPolicy.Calls);
    }

    [Fact]
    public async Task Concurrent_misses_of_one_key_share_one_lookup()
    {
        using var keys = new OfflineKeys();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        keys.KeyPolicy.Hold = hold;
        var unknown = KeyHash.Generate();
        var real = keys.RealKey();

        var waiting = Enumerable.Range(0, 50).Select(i => keys.Resolver.ResolveAsync(i % 2 == 0 ? unknown : real, CancellationToken.None).AsTask()).ToArray();
        hold.SetResult();
        var answers = await Task.WhenAll(waiting);

        Assert.Equal(2, keys.KeyPolicy.Calls);
        Assert.All(answers.Where((_, i) => i % 2 == 0), Assert.Null);
        Assert.All(answers.Where((_, i) => i % 2 == 1), a => Assert.Equal("real", a!.Name));
    }

    [Fact]
    public async Task Lookups_of_unknown_keys_are_capped_while_known_keys_still_refresh()
    {
        using var keys = new OfflineKeys(lookups: o => o.UnknownPerSecond = 5);
        var real = keys.RealKey();
        Assert.NotNull(await keys.Resolver.ResolveAsync(real, CancellationToken.None)); // spends one of the 5: not yet known

        var capped = 0;
        for (var i = 0; i < 50; i++)
        {
            try
            {
                await keys.Resolver.ResolveAsync(KeyHash.Generate(), CancellationToken.None);
            }
            catch (KeyLookupCappedException)
            {
                capped++;
            }
        }
        // 4 tokens were left (one more if the bucket's one-second refill fell inside the loop).
        Assert.InRange(capped, 41, 46);
        Assert.Equal(1 + 50 - capped, keys.KeyPolicy.Calls);

        // Its snapshot made stale (as a KeyChanged does), the real key is still known: its refresh is not a guess and is not capped.
        keys.Resolver.Evict(KeyResolverTests.Hash(real));
        Assert.False(keys.Resolver.IsCached(KeyResolverTests.Hash(real)));
        Assert.True(keys.Resolver.IsKnownKey(KeyResolverTests.Hash(real)));
        Assert.Equal("real", (await keys.Resolver.ResolveAsync(real, CancellationToken.None))!.Name);
        Assert.Equal(2 + 50 - capped, keys.KeyPolicy.Calls);
    }

    [Fact]
    public async Task Unknown_key_lookups_in_flight_are_bounded()
    {
        using var keys = new OfflineKeys(lookups: o => o.MaxConcurrentUnknown = 3);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        keys.KeyPolicy.Hold = hold;

        var attempts = Enumerable.Range(0, 20).Select(_ => Attempt(keys.Resolver.ResolveAsync(KeyHash.Generate(), CancellationToken.None))).ToArray();
        await Task.Delay(100);
        hold.SetResult();
        var outcomes = await Task.WhenAll(attempts);

        Assert.Equal(3, keys.KeyPolicy.MaxInFlight);
        Assert.Equal(3, outcomes.Count(capped => !capped));
    }

    [Fact]
    public async Task A_key_whose_load_an_eviction_raced_is_known_though_not_cached()
    {
        using var keys = new OfflineKeys();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        keys.KeyPolicy.Hold = hold;
        var real = keys.RealKey();
        var hash = KeyResolverTests.Hash(real);
        var resolving = keys.Resolver.ResolveAsync(real, CancellationToken.None);
        keys.Resolver.Evict(hash); // a new key's "created" event, landing while its first lookup runs
        hold.SetResult();

        Assert.Equal("real", (await resolving)!.Name);
        Assert.False(keys.Resolver.IsCached(hash));
        Assert.True(keys.Resolver.IsKnownKey(hash));
    }

    [Fact]
    public async Task Clearing_makes_snapshots_stale_but_keeps_real_keys_known()
    {
        using var keys = new OfflineKeys();
        var real = keys.RealKey();
        var hash = KeyResolverTests.Hash(real);
        await keys.Resolver.ResolveAsync(real, CancellationToken.None);
        keys.Resolver.Clear();

        Assert.False(keys.Resolver.IsCached(hash));
        Assert.True(keys.Resolver.IsKnownKey(hash));
        await keys.Resolver.ResolveAsync(real, CancellationToken.None);
        Assert.Equal(2, keys.KeyPolicy.Calls);
        Assert.True(keys.Resolver.IsCached(hash));
    }

    private static async Task<bool> Attempt(ValueTask<KeySnapshot?> resolve)
    {
        try
        {
            await resolve;
            return false;
        }
        catch (KeyLookupCappedException)
        {
            return true;
        }
    }
}
