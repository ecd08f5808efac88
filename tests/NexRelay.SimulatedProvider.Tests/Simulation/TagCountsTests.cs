using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Tests.Simulation;

public sealed class TagCountsTests
{
    [Fact]
    public void Each_tag_counts_its_own_requests()
    {
        var counts = new TagCounts();
        counts.Add("a");
        counts.Add("b");
        counts.Add("a");

        Assert.Equal(2, counts.Get("a"));
        Assert.Equal(1, counts.Get("b"));
        Assert.Equal(0, counts.Get("never"));
    }

    [Fact]
    public void Beyond_the_limit_the_oldest_tag_is_forgotten()
    {
        var counts = new TagCounts(maxTags: 3);
        counts.Add("first");
        counts.Add("second");
        counts.Add("third");
        counts.Add("first");
        counts.Add("fourth");

        Assert.Equal(0, counts.Get("first"));
        Assert.Equal(1, counts.Get("second"));
        Assert.Equal(1, counts.Get("fourth"));
    }

    [Fact]
    public void The_service_keeps_at_most_100000_tags()
    {
        var counts = new TagCounts();
        for (var i = 0; i <= TagCounts.MaxTags; i++) counts.Add("t" + i);

        Assert.Equal(100_000, TagCounts.MaxTags);
        Assert.Equal(0, counts.Get("t0"));
        Assert.Equal(1, counts.Get("t1"));
        Assert.Equal(1, counts.Get("t" + TagCounts.MaxTags));
    }
}
