namespace NexRelay.Contracts.Messages;

/// <summary>A key was created, updated, rotated, disabled or revoked: every edge drops its cached copy.</summary>
public sealed record KeyChanged
{
    public required Guid KeyId { get; init; }
    /// <summary>Hashes whose cache entries are stale (the old hash too, after a rotation).</summary>
    public required IReadOnlyList<string> KeyHashes { get; init; }
    public required string Change { get; init; }
    public required DateTimeOffset ChangedAt { get; init; }

    /// <summary>
    /// The key's version after this change (<see cref="Keys.KeySnapshot.Version"/>), for every hash in <see cref="KeyHashes"/>: an
    /// edge refuses any snapshot of those hashes older than this. 0 when absent (publishers before versions existed).
    /// </summary>
    public long Version { get; init; }
}
