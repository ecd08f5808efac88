using Microsoft.Extensions.Options;
using NexRelay.Contracts.Keys;
using StackExchange.Redis;

namespace NexRelay.KeyPolicy.Keys;

/// <summary>
/// Writes key snapshots to Redis (<see cref="KeyHash.RedisKey"/>, as <see cref="KeySnapshotJson"/>) for the edges, never over a
/// newer version: two writers finishing out of order (a lookup's refill and a change, the repair pass and a change) cannot
/// leave the older state behind. A failed write is reported, not thrown: Redis is a cache, the database is the truth.
/// </summary>
internal sealed partial class KeySnapshotWriter(IConnectionMultiplexer redis, IOptions<KeyPolicyOptions> options, ILogger<KeySnapshotWriter> logger)
{
    /// <summary>
    /// How long a request (an admin change, a key lookup) waits for its Redis write. Edges do without the write (they refuse
    /// older snapshots and ask the lookup endpoint), and a Redis that stopped answering would otherwise hold every such call for
    /// the client's 5 s command timeout; the repair pass catches up instead.
    /// </summary>
    public static readonly TimeSpan RequestPathTimeout = TimeSpan.FromMilliseconds(500);

    // KEYS[1] snapshot, KEYS[2] its version; ARGV snapshot JSON, version, TTL ms. Same version rewrites (refreshes the TTL).
    private const string WriteIfNotOlderScript = """
        local current = tonumber(redis.call('GET', KEYS[2]) or '-1')
        if current > tonumber(ARGV[2]) then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
        redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
        return 1
        """;

    /// <summary>The version (<see cref="KeySnapshot.Version"/>) of the snapshot stored under <see cref="KeyHash.RedisKey"/>.</summary>
    internal static string VersionKey(string keyHash) => $"nexrelay:key-version:{keyHash}";

    /// <summary>
    /// Writes <paramref name="snapshot"/> under <paramref name="keyHash"/> unless Redis holds a newer version; waits at most
    /// <see cref="RequestPathTimeout"/>. False (logged) when Redis is unreachable, refused the write or did not answer in time.
    /// </summary>
    public async Task<bool> TryWriteAsync(string keyHash, KeySnapshot snapshot)
    {
        if (!redis.IsConnected)
        {
            LogNotConnected(logger, snapshot.Id);
            return false;
        }
        var write = WriteAsync(redis.GetDatabase(), keyHash, snapshot);
        try
        {
            await write.WaitAsync(RequestPathTimeout);
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            Observe(write);
            LogWriteFailed(logger, snapshot.Id, ex.Message);
            return false;
        }
    }

    /// <summary>Writes every snapshot (pipelined), waiting as long as the Redis client's own timeout. False (logged once) if any failed.</summary>
    public async Task<bool> TryWriteAllAsync(IReadOnlyList<(string KeyHash, KeySnapshot Snapshot)> snapshots)
    {
        var db = redis.GetDatabase();
        var writes = snapshots.Select(s => WriteAsync(db, s.KeyHash, s.Snapshot)).ToList();
        try
        {
            await Task.WhenAll(writes);
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            writes.ForEach(Observe);
            LogBatchFailed(logger, writes.Count(w => !w.IsCompletedSuccessfully), writes.Count, ex.Message);
            return false;
        }
    }

    private Task WriteAsync(IDatabaseAsync db, string keyHash, KeySnapshot snapshot) =>
        db.ScriptEvaluateAsync(WriteIfNotOlderScript,
            [KeyHash.RedisKey(keyHash), VersionKey(keyHash)],
            [KeySnapshotJson.Serialize(snapshot), snapshot.Version, (long)options.Value.KeySnapshotTtl.TotalMilliseconds]);

    // A write given up on may still fail later: observe it so its exception is not reported as unobserved.
    private static void Observe(Task task) =>
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the Redis snapshot of key {KeyId}: {Error}")]
    private static partial void LogWriteFailed(ILogger logger, Guid keyId, string error);

    // Debug: while Redis is down every lookup would say so; the repair pass reports the outage once per attempt.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Redis snapshot of key {KeyId} not written: Redis is not connected")]
    private static partial void LogNotConnected(ILogger logger, Guid keyId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write {Failed} of {Count} Redis key snapshots: {Error}")]
    private static partial void LogBatchFailed(ILogger logger, int failed, int count, string error);
}
