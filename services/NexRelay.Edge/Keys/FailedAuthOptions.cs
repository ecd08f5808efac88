using System.ComponentModel.DataAnnotations;

namespace NexRelay.Edge.Keys;

/// <summary>
/// Settings under <c>NexRelay:Keys:FailedAuth</c>: how many keys that turn out not to exist one client (remote address; IPv6
/// by /64) may present per window before its further guesses are answered 429 without any lookup.
/// </summary>
internal sealed class FailedAuthOptions
{
    public const string Section = "NexRelay:Keys:FailedAuth";

    /// <summary>Failed authentications a client may have per window. A client that mistyped its key a few times stays well under it.</summary>
    [Range(1, 1_000_000)]
    public int Limit { get; set; } = 20;

    /// <summary>The window, starting with the client's first failure; Retry-After says when it ends.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most clients remembered (~150 bytes each). Past it the oldest window is forgotten: a flood from more addresses than
    /// this loses its per-client limit, and the global cap on lookups (<see cref="KeyLookupOptions"/>) still bounds key-policy.</summary>
    [Range(1, 10_000_000)]
    public int MaxClients { get; set; } = 100_000;
}
