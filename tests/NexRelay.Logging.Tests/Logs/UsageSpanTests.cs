using NexRelay.Logging.Logs;

namespace NexRelay.Logging.Tests.Logs;

public sealed class UsageSpanTests
{
    private static DateTimeOffset At(string utc) => DateTimeOffset.Parse(utc + "Z", System.Globalization.CultureInfo.InvariantCulture);

    private static DateOnly Day(string day) => DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void No_range_reads_every_day_from_the_rollup_and_no_row()
    {
        var span = UsageSpan.Of(null, null);
        Assert.True(span.WholeDays);
        Assert.Null(span.FirstDay);
        Assert.Null(span.EndDay);
        Assert.Empty(span.Partial);
    }

    [Theory]
    // from, to, first whole day, end day (exclusive), partial ranges as "from..to;from..to"
    [InlineData("2026-11-01T00:00:00", "2026-12-01T00:00:00", "2026-11-01", "2026-12-01", "")]
    [InlineData("2026-11-01T06:00:00", "2026-12-01T00:00:00", "2026-11-02", "2026-12-01", "2026-11-01T06:00:00..2026-11-02T00:00:00")]
    [InlineData("2026-11-01T00:00:00", "2026-11-30T18:30:00", "2026-11-01", "2026-11-30", "2026-11-30T00:00:00..2026-11-30T18:30:00")]
    [InlineData("2026-11-01T06:00:00", "2026-11-30T18:30:00", "2026-11-02", "2026-11-30",
        "2026-11-01T06:00:00..2026-11-02T00:00:00;2026-11-30T00:00:00..2026-11-30T18:30:00")]
    [InlineData("2026-11-01T23:59:59.999", "2026-11-03T00:00:00.001", "2026-11-02", "2026-11-03",
        "2026-11-01T23:59:59.999..2026-11-02T00:00:00;2026-11-03T00:00:00..2026-11-03T00:00:00.001")]
    [InlineData("2026-11-01T00:00:00", "2026-11-02T00:00:00", "2026-11-01", "2026-11-02", "")]
    public void A_range_splits_into_whole_days_and_its_partial_edges(string from, string to, string first, string end, string partial)
    {
        var span = UsageSpan.Of(At(from), At(to));
        Assert.True(span.WholeDays);
        Assert.Equal(Day(first), span.FirstDay);
        Assert.Equal(Day(end), span.EndDay);
        Assert.Equal(partial, Describe(span));
    }

    [Theory]
    [InlineData("2026-11-01T06:00:00", "2026-11-01T18:00:00")] // within one day
    [InlineData("2026-11-01T06:00:00", "2026-11-02T06:00:00")] // across one midnight, no whole day inside
    [InlineData("2026-11-01T00:00:00", "2026-11-01T23:59:59")] // starts at midnight, ends before the next
    [InlineData("2026-11-01T00:00:01", "2026-11-02T00:00:00")] // ends at midnight, starts after the previous
    public void A_range_without_a_whole_day_is_read_from_the_rows(string from, string to)
    {
        var span = UsageSpan.Of(At(from), At(to));
        Assert.False(span.WholeDays);
        Assert.Equal($"{from}..{to}", Describe(span));
    }

    [Fact]
    public void An_open_start_reads_the_rollup_up_to_the_last_whole_day()
    {
        var span = UsageSpan.Of(null, At("2026-11-30T18:30:00"));
        Assert.True(span.WholeDays);
        Assert.Null(span.FirstDay);
        Assert.Equal(Day("2026-11-30"), span.EndDay);
        Assert.Equal("2026-11-30T00:00:00..2026-11-30T18:30:00", Describe(span));
    }

    [Fact]
    public void An_open_end_reads_the_rollup_from_the_first_whole_day()
    {
        var span = UsageSpan.Of(At("2026-11-01T06:00:00"), null);
        Assert.True(span.WholeDays);
        Assert.Equal(Day("2026-11-02"), span.FirstDay);
        Assert.Null(span.EndDay);
        Assert.Equal("2026-11-01T06:00:00..2026-11-02T00:00:00", Describe(span));
    }

    [Fact]
    public void An_offset_is_read_as_the_utc_instant_it_names()
    {
        // 01:00 at +02:00 is 23:00 UTC the day before: the first whole UTC day is the 1st.
        var span = UsageSpan.Of(DateTimeOffset.Parse("2026-11-01T01:00:00+02:00", System.Globalization.CultureInfo.InvariantCulture), At("2026-11-03T00:00:00"));
        Assert.Equal(Day("2026-11-01"), span.FirstDay);
        Assert.Equal("2026-10-31T23:00:00..2026-11-01T00:00:00", Describe(span));
    }

    [Fact]
    public void Every_instant_of_a_range_is_read_exactly_once()
    {
        // Random ranges over a week, probed every 7 minutes 13 seconds: each probe inside [from, to) is covered by exactly one
        // of the whole days or partial ranges, and none outside is.
        var random = new Random(20261203);
        var origin = At("2026-11-01T00:00:00");
        for (var n = 0; n < 300; n++)
        {
            var from = origin.AddMinutes(random.Next(0, 7 * 24 * 60));
            var to = from.AddMinutes(random.Next(1, 4 * 24 * 60));
            var span = UsageSpan.Of(from, to);
            for (var probe = origin.AddDays(-1); probe < origin.AddDays(13); probe = probe.AddSeconds(433))
            {
                var day = DateOnly.FromDateTime(probe.UtcDateTime);
                var inDays = span.WholeDays && (span.FirstDay is null || day >= span.FirstDay) && (span.EndDay is null || day < span.EndDay) ? 1 : 0;
                var inPartial = span.Partial.Count(r => probe >= r.From && probe < r.To);
                Assert.True(inDays + inPartial == (probe >= from && probe < to ? 1 : 0), $"{probe:o} in [{from:o}, {to:o}): {inDays} + {inPartial}");
            }
        }
    }

    private static string Describe(UsageSpan span) =>
        string.Join(';', span.Partial.Select(r => $"{Format(r.From)}..{Format(r.To)}"));

    private static string Format(DateTimeOffset at) =>
        at.UtcDateTime.ToString(at.Millisecond == 0 ? "yyyy-MM-ddTHH:mm:ss" : "yyyy-MM-ddTHH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
}
