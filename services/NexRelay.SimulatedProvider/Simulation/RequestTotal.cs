namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>
/// Every request that reached the simulator's provider APIs, tagged or not (<c>GET /sim/requests</c>): a test proves that a
/// gateway made no upstream call at all by reading it before and after, even for bodies too broken to carry a tag.
/// </summary>
internal sealed class RequestTotal
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    /// <summary>Counts every request but the simulator's own test API and health probes.</summary>
    public Task CountAsync(HttpContext http, RequestDelegate next)
    {
        var path = http.Request.Path;
        if (!path.StartsWithSegments("/sim") && !path.StartsWithSegments("/health") && !path.StartsWithSegments("/alive") && !path.StartsWithSegments("/ready"))
            Interlocked.Increment(ref _count);
        return next(http);
    }
}
