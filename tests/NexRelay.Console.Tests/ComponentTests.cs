using NexRelay.Console.Components.Shared;
using NexRelay.Console.Edge;

namespace NexRelay.Console.Tests;

/// <summary>The components with logic of their own, rendered with bUnit.</summary>
public sealed class ComponentTests : BunitContext
{
    private static UsageGroup G(string day, string model, decimal cost) => new(null, day, model, null, null, 1, 0, 0, 0, 0, cost);

    [Fact]
    public void The_spend_chart_stacks_one_bar_segment_per_day_and_model_with_spend()
    {
        var first = new DateOnly(2026, 11, 1);
        var series = new SpendSeries([G("2026-11-01", "a", 1m), G("2026-11-01", "b", 4m), G("2026-11-03", "a", 2m)], first, first.AddDays(2));
        var cut = Render<SpendChart>(p => p.Add(c => c.Series, series));

        Assert.Equal(3, cut.FindAll("svg rect").Count);
        Assert.Contains("$7.00 over 3 days", cut.Find("svg title").TextContent);
        Assert.Equal(["b", "a"], cut.FindAll(".legend li").Select(li => li.TextContent.Trim()));
        // The tallest day fills the axis (5 of an axis topped at 5) and the segments of one day stack without a gap.
        var day1 = cut.FindAll("svg rect").Take(2).ToList();
        var heights = day1.Select(r => double.Parse(r.GetAttribute("height")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(202, heights.Sum(), 1);
        // The table beside it lists the days with spend only, with a total column.
        var rows = cut.FindAll("details tbody tr");
        Assert.Equal(2, rows.Count);
        Assert.Contains("$5.00", rows[0].TextContent);
        Assert.Equal("img", cut.Find("svg").GetAttribute("role"));
    }

    [Fact]
    public void An_empty_period_says_so()
    {
        var first = new DateOnly(2026, 11, 1);
        var cut = Render<SpendChart>(p => p.Add(c => c.Series, new SpendSeries([], first, first.AddDays(29))));
        Assert.Empty(cut.FindAll("svg rect"));
        Assert.Contains("No spend in this period.", cut.Find(".legend").TextContent);
    }

    [Fact]
    public void A_field_error_is_announced_and_absent_without_a_message()
    {
        var cut = Render<FieldError>(p => p.Add(c => c.Message, "name is required.").Add(c => c.Id, "name-error"));
        Assert.Equal("alert", cut.Find("span").GetAttribute("role"));
        Assert.Equal("name-error", cut.Find("span").Id);
        Assert.Empty(Render<FieldError>(p => p.Add(c => c.Message, null)).Markup.Trim());
    }

    [Fact]
    public void A_copy_block_labels_its_button_and_text()
    {
        var cut = Render<CopyBlock>(p => p.Add(c => c.Id, "k").Add(c => c.Label, "API key").Add(c => c.Text, "nrk_x"));
        Assert.Equal("#k", cut.Find("button").GetAttribute("data-copy"));
        Assert.Equal("k-label", cut.Find("pre").GetAttribute("aria-labelledby"));
        Assert.Equal("nrk_x", cut.Find("pre").TextContent);
    }
}
