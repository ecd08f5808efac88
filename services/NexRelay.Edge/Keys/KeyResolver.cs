using System.Collections.Concurrent;
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

/// <summary>The hash is not known here and the global cap on unknown-key lookups (<see cref="UnknownKeyLookups"/>) is reached: 503.</summary>
internal sealed class KeyLookupCappedException() : Exception("Too many unknown keys are being looked up right now.");

/// <summary>
/// Finds the key behind a presented secret: format check → HMAC → in-process caches → Redis <c>nexrelay:key:{hash}</c> →
/// key-policy <c>POST /internal/keys/lookup</c>. A cache hit makes no network call; concurrent misses of one hash share one load.
/// Real keys and unknown hashes live in separate bounded caches, so no number of unknown keys can push a real one out. A real
/// key's entry outlives its snapshot's freshness (<see cref="EdgeKeyOptions.KnownKeyRetention"/>): the replica then still knows
/// the hash as a real key, so its refresh is never capped like a guess (<see cref="IsKnownKey"/>), while the stale snapshot itself
/// is never used. <see cref="Evict"/> (driven by <c>KeyChanged</c>) makes an entry stale and remembers the version the event
/// announced (<see cref="KeyVersions"/>): a Redis snapshot older than that is refused — key-policy may have failed to write the
/// new one, or a Redis failover brought the old one back — and key-policy, the truth, is asked instead. If it cannot answer, the
/// lookup fails (503), never falling back to the stale snapshot.
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

    private static readonly object NoSuchKey = new();

    // Real keys (any state), each with the moment its snapshot stops being fresh; kept when rotated away (see IsKnownKey).
    private readonly MemoryCache _known;
    // Hashes no key has, briefly.
    private readonly MemoryCache _unknown;
    private readonly MemoryCacheEntryOptions _knownEntry;
    private readonly MemoryCacheEntryOptions _unknownEntry;
    // One load per hash at a time: a burst of requests with one uncached key costs one Redis read, at most one key-policy call.
    private readonly ConcurrentDictionary<string, Task<KeySnapshot?>> _loading = new(StringComparer.Ordinal);
    private readonly IConnectionMultiplexer _redis;
    private readonly KeyVersions _versions;
    private readonly IHttpClientFactory _httpClients;
    private readonly UnknownKeyLookups _unknownLookups;
    private readonly KeyMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly EdgeKeyOptions _options;
    private readonly ILogger<KeyResolver> _logger;
    private readonly byte[] _secret;
    // Bumped by every eviction: a load that started before an eviction must not cache what it read.
    private long _generation;
    // Bumped by Clear: snapshots loaded before it are stale (their hashes stay known as real keys).
    private long _epoch;

    public KeyResolver(IConnectionMultiplexer redis, KeyVersions versions, IHttpClientFactory httpClients, UnknownKeyLookups unknownLookups,
        KeyMetrics metrics, TimeProvider time, IOptions<EdgeKeyOptions> options, ILogger<KeyResolver> logger)
    {
        _redis = redis;
        _versions = versions;
        _httpClients = httpClients;
        _unknownLookups = unknownLookups;
        _metrics = metrics;
        _time = time;
        _options = options.Value;
        _logger = logger;
        _secret = System.Text.Encoding.UTF8.GetBytes(_options.HashSecret);
        _known = new MemoryCache(new MemoryCacheOptions { SizeLimit = _options.CacheSizeLimit });
        _unknown = new MemoryCache(new MemoryCacheOptions { SizeLimit = _options.NegativeCacheSizeLimit });
        _knownEntry = new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = _options.KnownKeyRetention, Size = 1 };
        _unknownEntry = new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = _options.NegativeCacheTtl, Size = 1 };
    }

    /// <summary>The key's snapshot, or null when the presented string is not a key or no such key exists (any state is returned:
    /// check it with <see cref="KeyValidity"/>). Throws <see cref="KeyLookupUnavailableException"/> when it cannot tell, and
    /// <see cref="KeyLookupCappedException"/> when it would have to ask key-policy about a hash it does not know, over the cap.</summary>
    public ValueTask<KeySnapshot?> ResolveAsync(string presentedKey, CancellationToken ct)
    {
        if (!KeyHash.LooksLikeKey(presentedKey)) return ValueTask.FromResult<KeySnapshot?>(null);
        return ResolveHashAsync(HashOf(presentedKey), ct);
    }

    /// <summary>The hash key-policy stores for <paramref name="presentedKey"/>.</summary>
    public string HashOf(string presentedKey) => KeyHash.Compute(_secret, presentedKey);

    public ValueTask<KeySnapshot?> ResolveHashAsync(string hash, CancellationToken ct)
    {
        if (TryGetCached(hash, out var snapshot)) return ValueTask.FromResult(snapshot);
        return new ValueTask<KeySnapshot?>(SharedLoad(hash).WaitAsync(ct));
    }

    /// <summary>
    /// True when memory answers for <paramref name="hash"/> without a lookup: <paramref name="snapshot"/> is the key's fresh
    /// snapshot, or null for a hash recently found to have no key.
    /// </summary>
    public bool TryGetCached(string hash, out KeySnapshot? snapshot)
    {
        if (_known.TryGetValue(hash, out KnownKey? known) && known!.IsFresh(_time.GetTimestamp(), Interlocked.Read(ref _epoch)))
        {
            snapshot = known.Snapshot;
            return true;
        }
        snapshot = null;
        return _unknown.TryGetValue(hash, out _);
    }

    /// <summary>
    /// True when <paramref name="hash"/> was a real key (any state) on this replica within <see cref="EdgeKeyOptions.KnownKeyRetention"/>,
    /// even if its snapshot is stale or its secret has been rotated away since.
    /// </summary>
    public bool IsKnownKey(string hash) => _known.TryGetValue(hash, out _);

    /// <summary>True while a lookup of <paramref name="hash"/> is under way: a resolve now joins it and costs nothing more.</summary>
    public bool IsLoading(string hash) => _loading.ContainsKey(hash);

    /// <summary>
    /// Makes the entry for <paramref name="hash"/> stale on this replica; from now on no snapshot of it older than
    /// <paramref name="version"/> (the version a <c>KeyChanged</c> announced; 0 for none) is used.
    /// </summary>
    public void Evict(string hash, long version = 0)
    {
        _versions.Learn(hash, version);
        Interlocked.Increment(ref _generation);
        _loading.TryRemove(hash, out _);
        Forget(hash);
    }

    /// <summary>Makes every entry stale on this replica (after a gap in which <c>KeyChanged</c> events may have been missed).</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        Interlocked.Increment(ref _epoch);
        _loading.Clear();
        _unknown.Clear();
    }

    /// <summary>True when this replica answers for <paramref name="hash"/> from memory (see <see cref="TryGetCached"/>).</summary>
    public bool IsCached(string hash) => TryGetCached(hash, out _);

    public void Dispose()
    {
        _known.Dispose();
        _unknown.Dispose();
    }

    private Task<KeySnapshot?> SharedLoad(string hash)
    {
        var mine = new TaskCompletionSource<KeySnapshot?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var load = _loading.GetOrAdd(hash, mine.Task);
        if (load == mine.Task) _ = RunLoadAsync(hash, mine);
        return load;
    }

    // Not cancelled by the request that started it: others may be waiting for the same answer (HttpClient's timeouts bound it).
    private async Task RunLoadAsync(string hash, TaskCompletionSource<KeySnapshot?> load)
    {
        try
        {
            var snapshot = await LoadAndCacheAsync(hash);
            _loading.TryRemove(new KeyValuePair<string, Task<KeySnapshot?>>(hash, load.Task));
            load.SetResult(snapshot);
        }
        catch (Exception ex)
        {
            _loading.TryRemove(new KeyValuePair<string, Task<KeySnapshot?>>(hash, load.Task));
            load.SetException(ex);
        }
    }

    private async Task<KeySnapshot?> LoadAndCacheAsync(string hash)
    {
        var generation = Interlocked.Read(ref _generation);
        var epoch = Interlocked.Read(ref _epoch);
        // Null: this replica cannot tell which version is current (see KeyVersions), so Redis is not asked at all.
        var floor = _versions.Floor(hash);
        var snapshot = floor is { } min ? await FromRedisAsync(hash, min) : null;
        var ttl = _options.CacheTtl;
        if (snapshot is null)
        {
            snapshot = await FromKeyPolicyAsync(hash);
            if (snapshot is not null && snapshot.Version < (floor ?? 0)) ttl = BehindCacheTtl;
        }
        if (Interlocked.Read(ref _generation) != generation)
        {
            // An eviction raced this load, so its snapshot is not to be used; that the key is real still holds (a new key's
            // "created" event often lands just so). Remembered as known, never as fresh.
            if (snapshot is not null && !_known.TryGetValue(hash, out _)) _known.Set(hash, KnownKey.Stale(snapshot), _knownEntry);
            return snapshot;
        }

        // A known hash that no key has any more (its secret was rotated away) stays known: a client still using it is not guessing.
        if (snapshot is null) _unknown.Set(hash, NoSuchKey, _unknownEntry);
        else _known.Set(hash, new KnownKey(snapshot, _time.GetTimestamp() + (long)(ttl.TotalSeconds * _time.TimestampFrequency), epoch), _knownEntry);
        // An eviction may have slipped in between the check and the Set: then drop what was just stored.
        if (Interlocked.Read(ref _generation) != generation) Forget(hash);
        return snapshot;
    }

    private void Forget(string hash)
    {
        if (_known.TryGetValue(hash, out KnownKey? known)) known!.MakeStale();
        _unknown.Remove(hash);
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

    private async Task<KeySnapshot?> FromKeyPolicyAsync(string hash)
    {
        // A hash known as a real key is a refresh, and there are only as many of those as real keys: never capped. Any other may be a guess.
        using var permit = IsKnownKey(hash) ? null : _unknownLookups.TryEnter() ?? throw Capped();
        try
        {
            var client = _httpClients.CreateClient(HttpClientName);
            using var response = await client.PostAsJsonAsync(KeyLookupRequest.Path, new KeyLookupRequest { KeyHash = hash }, KeySnapshotJson.Options);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                _metrics.KeyPolicyLookup("not_found");
                return null;
            }
            if (!response.IsSuccessStatusCode)
            {
                _metrics.KeyPolicyLookup("failed");
                throw new KeyLookupUnavailableException($"Key-policy answered {(int)response.StatusCode} to a key lookup.");
            }
            var snapshot = await response.Content.ReadFromJsonAsync<KeySnapshot>(KeySnapshotJson.Options);
            _metrics.KeyPolicyLookup(snapshot is null ? "failed" : "found");
            return snapshot ?? throw new KeyLookupUnavailableException("Key-policy answered a key lookup with an empty body.");
        }
        // Polly's rejections too: with key-policy down, the client's circuit breaker opens after a few failures and then
        // answers BrokenCircuitException at once (the chaos suite found these answered 500 instead of 503).
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException or Polly.ExecutionRejectedException)
        {
            _metrics.KeyPolicyLookup("failed");
            throw new KeyLookupUnavailableException($"Key-policy could not be asked about a key: {ex.Message}", ex);
        }
    }

    private KeyLookupCappedException Capped()
    {
        _metrics.LookupCapped();
        return new KeyLookupCappedException();
    }

    /// <summary>A real key's snapshot, fresh until a timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the epoch it was loaded in.</summary>
    private sealed class KnownKey(KeySnapshot snapshot, long freshUntil, long epoch)
    {
        private long _freshUntil = freshUntil;

        public KeySnapshot Snapshot { get; } = snapshot;

        public bool IsFresh(long now, long currentEpoch) => epoch == currentEpoch && now < Volatile.Read(ref _freshUntil);

        public void MakeStale() => Volatile.Write(ref _freshUntil, long.MinValue);

        public static KnownKey Stale(KeySnapshot snapshot) => new(snapshot, long.MinValue, long.MinValue);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Key lookup in Redis failed, asking key-policy: {Error}")]
    private static partial void LogRedisFailed(ILogger logger, string error);

    // Normal for a moment after every change (the event precedes the Redis write); for longer, Redis missed a write.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Redis snapshot of key {KeyId} is version {Version}, older than the announced {Floor}: asking key-policy")]
    private static partial void LogStaleSnapshot(ILogger logger, Guid keyId, long version, long floor);
}
