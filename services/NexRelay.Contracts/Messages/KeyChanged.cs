namespace NexRelay.Contracts.Messages;

/// <summary>A key was created, updated, rotated, disabled or revoked: every edge drops its cached copy.</summary>
public sealed record KeyChanged
{
    public required Guid KeyId { get; init; }
    /// <summary>Hashes whose cache entries are stale (the old hash too, after a rotation).</summary>
    public required IReadOnlyList<string> KeyHashes { get; init; }
    public required string Change { get; init; }
    public required DateTimeOffset ChangedAt { get; init; }
}
