using NexRelay.Contracts.Keys;

namespace NexRelay.Edge.Keys;

/// <summary>Settings under <c>NexRelay:Keys</c>, plus the key-hash secret shared with key-policy (<c>NexRelay:KeyHashSecret</c>).</summary>
internal sealed class EdgeKeyOptions
{
    public const string Section = "NexRelay:Keys";
    public const string HashSecretSetting = "NexRelay:KeyHashSecret";

    /// <summary>Hard TTL of a cached key: bounds staleness if a <c>KeyChanged</c> event is lost.</summary>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an unknown key is remembered as unknown, so a flood of bad keys does not reach Redis or key-policy.</summary>
    public TimeSpan NegativeCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most entries the in-process cache holds (positive and negative together).</summary>
    public int CacheSizeLimit { get; set; } = 100_000;

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
