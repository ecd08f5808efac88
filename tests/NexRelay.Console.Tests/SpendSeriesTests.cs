using NexRelay.Console.Components.Shared;
using NexRelay.Console.Edge;

namespace NexRelay.Console.Tests;

public sealed class SpendSeriesTests
{
    private static readonly DateOnly First = new(2026, 11, 1);

    private static UsageGroup G(string? day, string? model, decimal cost) => new(null, day, model, null, null, 1, 0, 0, 0, 0, cost);

    [Fact]
    public void Every_day_of_the_range_is_a_bar_even_without_spend()
    {
        var s = new SpendSeries([G("2026-11-03", "a", 1m)], First, First.AddDays(6));
        Assert.Equal(7, s.Days.Count);
        Assert.Equal(First, s.Days[0]);
        Assert.Equal(First.AddDays(6), s.Days[^1]);
        Assert.Equal(0m, s.DayTotal(0));
        Assert.Equal(1m, s.DayTotal(2));
    }

    [Fact]
    public void Models_are_ordered_by_total_spend_then_name()
    {
        var s = new SpendSeries([G("2026-11-01", "cheap", 1m), G("2026-11-02", "dear", 5m), G("2026-11-02", "also-cheap", 1m)], First, First.AddDays(1));
        Assert.Equal(["dear", "also-cheap", "cheap"], s.Models);
    }

    [Fact]
    public void Cells_sum_repeated_groups_and_totals_add_up()
    {
        var s = new SpendSeries([G("2026-11-01", "a", 0.000001m), G("2026-11-01", "a", 0.000002m), G("2026-11-01", "b", 2m)], First, First);
        Assert.Equal(0.000003m, s.Cost[0, s.Models.ToList().IndexOf("a")]);
        Assert.Equal(2.000003m, s.Total);
        Assert.Equal(2.000003m, s.Max);
    }

    [Theory]
    [InlineData("2026-10-31")]   // before the range
    [InlineData("2026-11-08")]   // after it
    [InlineData("not a day")]
    [InlineData(null)]
    public void Groups_outside_the_range_or_without_a_day_are_left_out(string? day)
    {
        var s = new SpendSeries([G(day, "a", 3m)], First, First.AddDays(6));
        Assert.Equal(0m, s.Total);
        Assert.Empty(s.Models);
    }

    [Fact]
    public void A_day_with_a_time_part_counts_on_its_date()
    {
        var s = new SpendSeries([G("2026-11-02T00:00:00Z", "a", 3m)], First, First.AddDays(2));
        Assert.Equal(3m, s.DayTotal(1));
    }

    [Fact]
    public void A_group_without_a_model_is_shown_as_none()
    {
        var s = new SpendSeries([G("2026-11-01", null, 1m)], First, First);
        Assert.Equal(["(none)"], s.Models);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0.3, 0.5)]
    [InlineData(0.5, 0.5)]
    [InlineData(0.51, 1)]
    [InlineData(1.2, 2)]
    [InlineData(7, 10)]
    [InlineData(10, 10)]
    [InlineData(1234, 2000)]
    [InlineData(0.0004, 0.0005)]
    public void The_axis_top_is_a_round_number_at_or_above_the_largest_day(double max, double expected)
    {
        var s = new SpendSeries([G("2026-11-01", "a", (decimal)max)], First, First);
        Assert.Equal((decimal)expected, s.AxisTop());
        Assert.True(s.AxisTop() >= s.Max);
    }

    [Fact]
    public void A_range_that_ends_before_it_starts_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new SpendSeries([], First, First.AddDays(-1)));
    }
}
