using System.Globalization;

namespace NexRelay.ServiceDefaults;

/// <summary>
/// The <c>limit</c> and <c>cursor</c> of a page keyed by an increasing sequence number, newest first (dead letters, webhook
/// deliveries): the cursor is the last row's number, and the next page holds rows strictly before it.
/// </summary>
public readonly record struct SequencePageQuery(int PageSize, long? Before)
{
    /// <summary>The query, or the errors naming each bad parameter (a 400 for the caller).</summary>
    public static SequencePageQuery Parse(string? limit, string? cursor, int defaultLimit, int maxLimit, out Dictionary<string, string[]> errors)
    {
        errors = new Dictionary<string, string[]>();
        var pageSize = defaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize < 1 || pageSize > maxLimit))
            errors["limit"] = [$"An integer from 1 to {maxLimit}."];
        long? before = null;
        if (cursor is not null)
        {
            if (long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0) before = parsed;
            else errors["cursor"] = ["Use the next_cursor of the previous page."];
        }
        return new SequencePageQuery(pageSize, before);
    }
}
