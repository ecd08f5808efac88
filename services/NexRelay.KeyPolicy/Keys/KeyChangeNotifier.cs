using MassTransit;
using NexRelay.Contracts.Messages;

namespace NexRelay.KeyPolicy.Keys;

/// <summary>
/// Tells the edges about key changes, so that a change is either in force on every edge within a second or not made at all.
/// <list type="bullet">
/// <item>An update, rotation or revocation is published (<see cref="KeyChanged"/> with the row's new version) while its
/// transaction is still open, and committed only once RabbitMQ confirmed the message. When the publish fails the transaction
/// rolls back and the admin call answers 503: nothing changed. No outbox: a change committed now and announced when the broker
/// is back would leave the edges serving the old policy meanwhile, which is what a revocation must never do. The event may
/// reach an edge a moment before the commit; the edge then gets the old row from the lookup endpoint and holds it only briefly.
/// If the publish timed out but the message went out after all, edges learn a version the database never reached: they ask
/// the lookup endpoint, which answers the unchanged key.</item>
/// <item>After the commit the Redis snapshots are refreshed (the new hash, and a revoked tombstone under a rotated-out hash).
/// A failed write does not fail the call: edges that saw the event refuse the older snapshot and ask the lookup endpoint,
/// and <see cref="KeySnapshotRepair"/> rewrites Redis, retrying with backoff.</item>
/// </list>
/// A new key is different: no edge can hold anything for a hash nobody has presented yet, so it is committed first, written to
/// Redis and announced best effort.
/// </summary>
internal sealed partial class KeyChangeNotifier(
    KeySnapshotWriter snapshots, KeySnapshotRepair repair, IPublishEndpoint publish, TimeProvider time, ILogger<KeyChangeNotifier> logger)
{
    // An admin call must not wait out a broker outage (the edge waits 10 s for a forwarded admin call), and the changed row
    // stays locked while the publish waits.
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Publishes <see cref="KeyChanged"/> for <paramref name="key"/> (as <paramref name="change"/> left it, not yet committed),
    /// then commits and refreshes Redis. False when the publish failed: nothing is committed, and disposing
    /// <paramref name="change"/> rolls it back.
    /// </summary>
    public async Task<bool> PublishAndCommitAsync(KeyChange change, KeyRecord key, string kind, string? replacedHash, CancellationToken ct)
    {
        if (await PublishAsync(key, kind, replacedHash, ct) is { } error)
        {
            LogChangeNotPublished(logger, kind, key.Id, error);
            return false;
        }
        // Not the caller's token: the edges were told, so a client leaving now must not undo the change.
        await change.CommitAsync(CancellationToken.None);
        await RefreshSnapshotsAsync(key, replacedHash);
        return true;
    }

    /// <summary>A key just created (and committed): Redis first, then a best-effort <see cref="KeyChanged"/>.</summary>
    public async Task KeyCreatedAsync(KeyRecord key, CancellationToken ct)
    {
        await RefreshSnapshotsAsync(key, replacedHash: null);
        if (await PublishAsync(key, "created", replacedHash: null, ct) is { } error) LogCreatedNotPublished(logger, key.Id, error);
    }

    /// <summary>Null once RabbitMQ confirmed the message, else why not.</summary>
    private async Task<string?> PublishAsync(KeyRecord key, string kind, string? replacedHash, CancellationToken ct)
    {
        IReadOnlyList<string> hashes = replacedHash is null ? [key.KeyHash] : [key.KeyHash, replacedHash];
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(PublishTimeout);
            await publish.Publish(new KeyChanged
            {
                KeyId = key.Id,
                KeyHashes = hashes,
                Change = kind,
                ChangedAt = time.GetUtcNow(),
                Version = key.Version,
            }, timeout.Token);
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return ex is OperationCanceledException ? $"no confirmation within {PublishTimeout.TotalSeconds} s" : ex.Message;
        }
    }

    private async Task RefreshSnapshotsAsync(KeyRecord key, string? replacedHash)
    {
        var written = await snapshots.TryWriteAsync(key.KeyHash, key.ToSnapshot());
        // A revoked tombstone under the old hash, so caches refuse the old secret without asking.
        if (replacedHash is not null) written &= await snapshots.TryWriteAsync(replacedHash, key.ToTombstone());
        if (!written) repair.Request();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not publish KeyChanged ({Change}) for key {KeyId}, so the change was rolled back and refused: {Error}")]
    private static partial void LogChangeNotPublished(ILogger logger, string change, Guid keyId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish KeyChanged (created) for key {KeyId}; no edge needs it for a new key: {Error}")]
    private static partial void LogCreatedNotPublished(ILogger logger, Guid keyId, string error);
}
