using NexRelay.Console.Edge;

namespace NexRelay.Console.Components.Shared;

/// <summary>One row of an error-rate table: requests and errors (status 400 and above) of one model or upstream.</summary>
public sealed record ErrorRate(string Name, long Requests, long Errors)
{
    /// <summary>
    /// Rows from usage grouped by a dimension and status (<c>group_by=model,status</c>): one per value of
    /// <paramref name="by"/> (<paramref name="none"/> for requests without one), most requests first.
    /// </summary>
    public static IReadOnlyList<ErrorRate> From(IEnumerable<UsageGroup> groups, Func<UsageGroup, string?> by, string none) =>
    [
        .. groups.GroupBy(g => by(g) ?? none)
            .Select(g => new ErrorRate(g.Key, g.Sum(x => x.Requests), g.Where(x => x.Status is >= 400).Sum(x => x.Requests)))
            .OrderByDescending(r => r.Requests).ThenBy(r => r.Name, StringComparer.Ordinal),
    ];
}
