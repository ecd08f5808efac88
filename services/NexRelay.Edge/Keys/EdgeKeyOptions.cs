using NexRelay.Contracts.Keys;

namespace NexRelay.Edge.Keys;

/// <summary>Settings under <c>NexRelay:Keys</c>, plus the key-hash secret shared with key-policy (<c>NexRelay:KeyHashSecret</c>).</summary>
internal sealed class EdgeKeyOptions
{
    public const string Section = "NexRelay:Keys";
    public const string HashSecretSetting = "NexRelay:KeyHashSecret";

    /// <summary>Hard TTL of a cached key: bounds staleness if a <c>KeyChanged</c> event is lost.</summary>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an unknown key is remembered as unknown, so one bad key repeated does not reach Redis or key-policy.</summary>
    public TimeSpan NegativeCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most real keys the in-process cache holds. Unknown keys have a cache of their own, so they never push these out.</summary>
    public int CacheSizeLimit { get; set; } = 100_000;

    /// <summary>Most unknown keys remembered (<see cref="NegativeCacheTtl"/>); past it more are simply not remembered.</summary>
    public int NegativeCacheSizeLimit { get; set; } = 10_000;

    /// <summary>
    /// How long a real key is still known as real after its snapshot stopped being fresh (<see cref="CacheTtl"/>, an eviction):
    /// its next lookup then counts neither against its client's failed-auth limit nor against the cap on unknown-key lookups.
    /// At least <see cref="CacheTtl"/>.
    /// </summary>
    public TimeSpan KnownKeyRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long the version a <c>KeyChanged</c> announced is remembered for its hashes (Redis snapshots older than it are
    /// refused). At least key-policy's <c>NexRelay:KeySnapshotTtl</c> plus a minute: an older snapshot can linger in Redis
    /// that long after the change.
    /// </summary>
    public TimeSpan VersionRetention { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Most hashes whose announced version is remembered (~300 bytes each). Past it the oldest are forgotten, and until their
    /// retention would have ended no Redis snapshot of a hash not remembered is trusted: such lookups go to key-policy.
    /// </summary>
    public int VersionCapacity { get; set; } = 100_000;

    /// <summary>How long a key lookup waits for Redis before asking key-policy instead (a cache must not stall authentication).</summary>
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Filled from <c>NexRelay:KeyHashSecret</c>, not from this section.</summary>
    public string HashSecret { get; set; } = "";
}
