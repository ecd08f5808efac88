using MassTransit;
using Microsoft.Extensions.Options;
using NexRelay.Contracts.Keys;
using NexRelay.Contracts.Messages;
using StackExchange.Redis;

namespace NexRelay.KeyPolicy.Keys;

/// <summary>
/// After a change is committed: refresh the Redis snapshot the edges read, then publish <see cref="KeyChanged"/> so every
/// edge replica drops its in-process copy. Redis is written first, so an edge that reloads on the event sees the new state.
/// Failures are logged, not thrown: the database is already the truth, and the edges' hard TTL bounds the staleness.
/// </summary>
internal sealed partial class KeyChangeNotifier(
    IConnectionMultiplexer redis, IPublishEndpoint publish, IOptions<KeyPolicyOptions> options, TimeProvider time, ILogger<KeyChangeNotifier> logger)
{
    // Best effort (the edges' hard TTL bounds staleness), so an admin call must not wait out a broker outage: 10 s here was
    // the edge's whole admin-call timeout, and key creation then failed while RabbitMQ was down.
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(2);

    // KEYS[1] snapshot, KEYS[2] its version; ARGV snapshot JSON, version, TTL ms. Same version rewrites (refreshes the TTL).
    private const string WriteIfNotOlderScript = """
        local current = tonumber(redis.call('GET', KEYS[2]) or '-1')
        if current > tonumber(ARGV[2]) then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
        redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
        return 1
        """;

    /// <summary>The version (keys.version) of the snapshot stored under <see cref="KeyHash.RedisKey"/>.</summary>
    internal static string VersionKey(string keyHash) => $"nexrelay:key-version:{keyHash}";

    public async Task KeyChangedAsync(KeyRecord key, string change, string? replacedHash, CancellationToken ct)
    {
        await WriteSnapshotAsync(key.KeyHash, key.ToSnapshot(), key.Version);
        if (replacedHash is not null)
        {
            // Leave a revoked tombstone under the old hash so caches refuse the old secret at once.
            await WriteSnapshotAsync(replacedHash, key.ToSnapshot() with { State = KeyStates.Revoked }, key.Version);
        }

        IReadOnlyList<string> hashes = replacedHash is null ? [key.KeyHash] : [key.KeyHash, replacedHash];
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(PublishTimeout);
            await publish.Publish(new KeyChanged { KeyId = key.Id, KeyHashes = hashes, Change = change, ChangedAt = time.GetUtcNow() }, timeout.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogPublishFailed(logger, key.Id, change, ex.Message);
        }
    }

    /// <summary>
    /// Best-effort cache fill, used by the lookup endpoint too. Writes only if no newer version of the key is there already:
    /// two changes (or a lookup and a revocation) finishing out of order must not leave the older state in Redis.
    /// </summary>
    public async Task WriteSnapshotAsync(string keyHash, KeySnapshot snapshot, int version)
    {
        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(WriteIfNotOlderScript,
                [KeyHash.RedisKey(keyHash), VersionKey(keyHash)],
                [KeySnapshotJson.Serialize(snapshot), version, (long)options.Value.KeySnapshotTtl.TotalMilliseconds]);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            LogRedisFailed(logger, snapshot.Id, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not publish KeyChanged ({Change}) for key {KeyId}; edges refresh when their cache TTL ends: {Error}")]
    private static partial void LogPublishFailed(ILogger logger, Guid keyId, string change, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the Redis snapshot of key {KeyId}: {Error}")]
    private static partial void LogRedisFailed(ILogger logger, Guid keyId, string error);
}
