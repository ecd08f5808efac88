using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace NexRelay.Edge.Keys;

/// <summary>
/// The global cap on key-policy lookups of hashes this replica does not know as real keys (<see cref="KeyLookupOptions"/>): a
/// token bucket for the rate and a concurrency limit, neither of which queues. The per-client limit (<see cref="FailedAuthLimiter"/>)
/// stops one client; this stops a flood spread over many addresses from pushing key-policy and its database past a bound.
/// </summary>
internal sealed class UnknownKeyLookups : IDisposable
{
    private readonly TokenBucketRateLimiter _rate;
    private readonly ConcurrencyLimiter _concurrency;

    public UnknownKeyLookups(IOptions<KeyLookupOptions> options)
    {
        var o = options.Value;
        _rate = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = o.UnknownPerSecond,
            TokensPerPeriod = o.UnknownPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            AutoReplenishment = true,
            QueueLimit = 0,
        });
        _concurrency = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = o.MaxConcurrentUnknown, QueueLimit = 0 });
    }

    /// <summary>A permit to ask key-policy about one unknown hash (dispose it when the answer is in), or null when over the cap.</summary>
    public IDisposable? TryEnter()
    {
        var slot = _concurrency.AttemptAcquire();
        if (!slot.IsAcquired)
        {
            slot.Dispose();
            return null;
        }
        // Taken second: a request refused for concurrency does not spend a token of the rate.
        using var token = _rate.AttemptAcquire();
        if (token.IsAcquired) return slot;
        slot.Dispose();
        return null;
    }

    public void Dispose()
    {
        _rate.Dispose();
        _concurrency.Dispose();
    }
}
