namespace NexRelay.Logging.Logs;

/// <summary>
/// A usage range <c>[From, To)</c> split into the whole UTC days inside it, read from the daily rollup, and the partial days
/// at its edges, read from the request logs themselves. A usage query then costs O(days) plus at most two days of rows,
/// however many requests the range holds (docs/architecture.md, "Usage rollups").
/// </summary>
/// <param name="WholeDays">Whether any whole day is read from the rollup.</param>
/// <param name="FirstDay">The first whole day (inclusive); null: from the beginning.</param>
/// <param name="EndDay">The day after the last whole day (exclusive); null: to the end.</param>
/// <param name="Partial">Time ranges <c>[From, To)</c> read from the request logs.</param>
public sealed record UsageSpan(bool WholeDays, DateOnly? FirstDay, DateOnly? EndDay, IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> Partial)
{
    public static UsageSpan Of(DateTimeOffset? from, DateTimeOffset? to)
    {
        var firstDay = from is { } f ? Day(f.UtcDateTime) is var d && Midnight(d) == f ? d : d.AddDays(1) : (DateOnly?)null;
        var endDay = to is { } t ? Day(t.UtcDateTime) : (DateOnly?)null;
        // No whole day inside (the range starts and ends within one day, or spans one midnight only partly): all raw.
        if (from is { } start && to is { } end && firstDay >= endDay) return new(false, null, null, [(start, end)]);

        var partial = new List<(DateTimeOffset, DateTimeOffset)>(2);
        if (from is { } f2 && Midnight(firstDay!.Value) != f2) partial.Add((f2, Midnight(firstDay.Value)));
        if (to is { } t2 && Midnight(endDay!.Value) != t2) partial.Add((Midnight(endDay.Value), t2));
        return new(true, firstDay, endDay, partial);
    }

    private static DateOnly Day(DateTime utc) => DateOnly.FromDateTime(utc);

    private static DateTimeOffset Midnight(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
}
