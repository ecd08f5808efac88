using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using NexRelay.Contracts.Keys;
using StackExchange.Redis;

namespace NexRelay.Edge.Keys;

/// <summary>Neither Redis nor key-policy could say whether a key exists: the edge answers 503, not 401.</summary>
internal sealed class KeyLookupUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Finds the key behind a presented secret: format check → HMAC → in-process cache (hard TTL; unknown keys briefly) →
/// Redis <c>nexrelay:key:{hash}</c> → key-policy <c>POST /internal/keys/lookup</c>. A cache hit makes no network call.
/// <see cref="Evict"/> (driven by <c>KeyChanged</c>) drops an entry and remembers the version the event announced
/// (<see cref="KeyVersions"/>): a Redis snapshot older than that is refused — key-policy may have failed to write the new one,
/// or a Redis failover brought the old one back — and key-policy, the truth, is asked instead. If it cannot answer, the lookup
/// fails (503), never falling back to the stale snapshot.
/// </summary>
internal sealed partial class KeyResolver : IDisposable
{
    public const string HttpClientName = "keypolicy";

    /// <summary>
    /// How long a key-policy answer older than the announced version is cached. The change is being committed right now (the
    /// event goes out just before the commit) or was rolled back after a publish that timed out: short enough for the change to
    /// be in force well within a second, long enough that a busy key does not send every request to key-policy.
    /// </summary>
    internal static readonly TimeSpan BehindCacheTtl = TimeSpan.FromMilliseconds(250);

    private readonly MemoryCache _cache;
    private readonly IConnectionMultiplexer _redis;
    private readonly KeyVersions _versions;
    private readonly IHttpClientFactory _httpClients;
    private readonly EdgeKeyOptions _options;
    private readonly ILogger<KeyResolver> _logger;
    private readonly byte[] _secret;
    // Bumped by every eviction: a load that started before an eviction must not cache what it read.
    private long _generation;

    public KeyResolver(IConnectionMultiplexer redis, KeyVersions versions, IHttpClientFactory httpClients, IOptions<EdgeKeyOptions> options,
        ILogger<KeyResolver> logger)
    {
        _redis = redis;
        _versions = versions;
        _httpClients = httpClients;
        _options = options.Value;
        _logger = logger;
        _secret = System.Text.Encoding.UTF8.GetBytes(_options.HashSecret);
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = _options.CacheSizeLimit });
    }

    /// <summary>The key's snapshot, or null when the presented string is not a key or no such key exists (any state is returned:
    /// check it with <see cref="KeyValidity"/>). Throws <see cref="KeyLookupUnavailableException"/> when it cannot tell.</summary>
    public ValueTask<KeySnapshot?> ResolveAsync(string presentedKey, CancellationToken ct)
    {
        if (!KeyHash.LooksLikeKey(presentedKey)) return ValueTask.FromResult<KeySnapshot?>(null);
        return ResolveHashAsync(HashOf(presentedKey), ct);
    }

    /// <summary>The hash key-policy stores for <paramref name="presentedKey"/>.</summary>
    public string HashOf(string presentedKey) => KeyHash.Compute(_secret, presentedKey);

    public ValueTask<KeySnapshot?> ResolveHashAsync(string hash, CancellationToken ct)
    {
        if (_cache.TryGetValue(hash, out CachedKey? cached)) return ValueTask.FromResult(cached!.Snapshot);
        return LoadAndCacheAsync(hash, ct);
    }

    /// <summary>
    /// Drops the cached entry for <paramref name="hash"/> on this replica; from now on no snapshot of it older than
    /// <paramref name="version"/> (the version a <c>KeyChanged</c> announced; 0 for none) is used.
    /// </summary>
    public void Evict(string hash, long version = 0)
    {
        _versions.Learn(hash, version);
        Interlocked.Increment(ref _generation);
        _cache.Remove(hash);
    }

    /// <summary>Drops every cached entry on this replica (after a gap in which <c>KeyChanged</c> events may have been missed).</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _cache.Clear();
    }

    /// <summary>True when this replica holds an entry (positive or negative) for <paramref name="hash"/>.</summary>
    public bool IsCached(string hash) => _cache.TryGetValue(hash, out _);

    public void Dispose() => _cache.Dispose();

    private async ValueTask<KeySnapshot?> LoadAndCacheAsync(string hash, CancellationToken ct)
    {
        var generation = Interlocked.Read(ref _generation);
        // Null: this replica cannot tell which version is current (see KeyVersions), so Redis is not asked at all.
        var floor = _versions.Floor(hash);
        var snapshot = floor is { } min ? await FromRedisAsync(hash, min) : null;
        var ttl = _options.CacheTtl;
        if (snapshot is null)
        {
            snapshot = await FromKeyPolicyAsync(hash, ct);
            if (snapshot is null) ttl = _options.NegativeCacheTtl;
            else if (snapshot.Version < (floor ?? 0)) ttl = BehindCacheTtl;
        }
        if (Interlocked.Read(ref _generation) != generation) return snapshot;

        _cache.Set(hash, new CachedKey(snapshot), new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = ttl, Size = 1 });
        // An eviction may have slipped in between the check and the Set: then drop what was just stored.
        if (Interlocked.Read(ref _generation) != generation) _cache.Remove(hash);
        return snapshot;
    }

    /// <summary>The Redis snapshot, or null when there is none, it is older than <paramref name="floor"/>, or Redis fails or is slow.</summary>
    private async Task<KeySnapshot?> FromRedisAsync(string hash, long floor)
    {
        if (!_redis.IsConnected) return null;
        var get = _redis.GetDatabase().StringGetAsync(KeyHash.RedisKey(hash));
        try
        {
            var value = await get.WaitAsync(_options.RedisTimeout);
            var snapshot = value.HasValue ? KeySnapshotJson.Deserialize(value.ToString()) : null;
            if (snapshot is null || snapshot.Version >= floor) return snapshot;
            LogStaleSnapshot(_logger, snapshot.Id, snapshot.Version, floor);
            return null;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or JsonException)
        {
            // A read given up on may still fail later: observe it so its exception is not reported as unobserved.
            _ = get.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            LogRedisFailed(_logger, ex.Message);
            return null;
        }
    }

    private async Task<KeySnapshot?> FromKeyPolicyAsync(string hash, CancellationToken ct)
    {
        try
        {
            var client = _httpClients.CreateClient(HttpClientName);
            using var response = await client.PostAsJsonAsync(KeyLookupRequest.Path, new KeyLookupRequest { KeyHash = hash }, KeySnapshotJson.Options, ct);
            if (response.StatusCode == HttpStatusCode.NotFound) return null;
            if (!response.IsSuccessStatusCode)
                throw new KeyLookupUnavailableException($"Key-policy answered {(int)response.StatusCode} to a key lookup.");
            return await response.Content.ReadFromJsonAsync<KeySnapshot>(KeySnapshotJson.Options, ct)
                ?? throw new KeyLookupUnavailableException("Key-policy answered a key lookup with an empty body.");
        }
        // Polly's rejections too: with key-policy down, the client's circuit breaker opens after a few failures and then
        // answers BrokenCircuitException at once (the chaos suite found these answered 500 instead of 503).
        catch (Exception ex) when (ex is HttpRequestException or JsonException or Polly.ExecutionRejectedException
                                   or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new KeyLookupUnavailableException($"Key-policy could not be asked about a key: {ex.Message}", ex);
        }
    }

    // A wrapper so "known not to exist" can be cached as well.
    private sealed record CachedKey(KeySnapshot? Snapshot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Key lookup in Redis failed, asking key-policy: {Error}")]
    private static partial void LogRedisFailed(ILogger logger, string error);

    // Normal for a moment after every change (the event precedes the Redis write); for longer, Redis missed a write.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Redis snapshot of key {KeyId} is version {Version}, older than the announced {Floor}: asking key-policy")]
    private static partial void LogStaleSnapshot(ILogger logger, Guid keyId, long version, long floor);
}
