namespace NexRelay.Contracts.Keys;

/// <summary>
/// Key-policy's lookup for the edge's cache: <c>POST /internal/keys/lookup</c> with this body (as <see cref="KeySnapshotJson"/>)
/// → 200 <see cref="KeySnapshot"/> or 404. A POST body rather than a URL path, so the hash never lands in request-path log
/// scopes, access logs or trace URLs.
/// </summary>
public sealed record KeyLookupRequest
{
    public const string Path = "/internal/keys/lookup";

    public required string KeyHash { get; init; }
}
