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

    /// <summary>Filled from <c>NexRelay:KeyHashSecret</c>, not from this section.</summary>
    public string HashSecret { get; set; } = "";
}
