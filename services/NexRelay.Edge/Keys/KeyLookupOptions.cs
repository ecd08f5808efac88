using System.ComponentModel.DataAnnotations;

namespace NexRelay.Edge.Keys;

/// <summary>
/// Settings under <c>NexRelay:Keys:Lookups</c>: the cap, per edge replica, on key-policy lookups of hashes this replica does not
/// know as real keys, whatever the number of clients guessing. Lookups of keys it knows (refreshing an expired snapshot) are not
/// capped: there are only as many of those as real keys.
/// </summary>
internal sealed class KeyLookupOptions
{
    public const string Section = "NexRelay:Keys:Lookups";

    /// <summary>Unknown-key lookups per second (also the burst). Beyond it an uncached key is answered 503 with Retry-After.</summary>
    [Range(1, 1_000_000)]
    public int UnknownPerSecond { get; set; } = 100;

    /// <summary>Unknown-key lookups in flight at once: a slow key-policy does not pile up waiting calls.</summary>
    [Range(1, 10_000)]
    public int MaxConcurrentUnknown { get; set; } = 16;
}
