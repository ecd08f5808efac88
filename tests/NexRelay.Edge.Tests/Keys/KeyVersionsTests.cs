using Microsoft.Extensions.Options;
using NexRelay.Edge.Keys;

namespace NexRelay.Edge.Tests.Keys;

/// <summary>What an edge replica remembers of the versions KeyChanged announced: the floor for Redis snapshots of each hash.</summary>
public sealed class KeyVersionsTests
{
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(15);
    private readonly ManualTime _time = new();

    private KeyVersions Versions(int capacity = 100) =>
        new(Options.Create(new EdgeKeyOptions { VersionRetention = Retention, VersionCapacity = capacity }), _time);

    [Fact]
    public void Nothing_announced_means_any_snapshot_will_do()
    {
        Assert.Equal(0, Versions().Floor("h"));
    }

    [Fact]
    public void The_announced_version_is_the_floor_and_never_goes_down()
    {
        var versions = Versions();
        versions.Learn("h", 3);
        Assert.Equal(3, versions.Floor("h"));
        versions.Learn("h", 2); // a late, older event
        Assert.Equal(3, versions.Floor("h"));
        versions.Learn("h", 5);
        Assert.Equal(5, versions.Floor("h"));
        Assert.Equal(0, versions.Floor("other"));
    }

    [Fact]
    public void An_event_without_a_version_from_an_older_key_policy_sets_no_floor()
    {
        var versions = Versions();
        versions.Learn("h", 0);
        Assert.Equal(0, versions.Floor("h"));
        Assert.Equal(0, versions.Count);
    }

    [Fact]
    public void An_announcement_is_forgotten_after_the_retention_counted_from_the_latest_one()
    {
        var versions = Versions();
        versions.Learn("h", 1);
        _time.Advance(Retention - TimeSpan.FromMinutes(1));
        versions.Learn("h", 2);
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(2, versions.Floor("h"));
        _time.Advance(Retention);
        Assert.Equal(0, versions.Floor("h"));
        Assert.Equal(0, versions.Count);
    }

    [Fact]
    public void Past_its_capacity_it_forgets_the_oldest_and_vouches_for_no_unremembered_hash_until_that_ones_retention_ends()
    {
        var versions = Versions(capacity: 2);
        versions.Learn("a", 1);
        _time.Advance(TimeSpan.FromMinutes(1));
        versions.Learn("b", 1);
        versions.Learn("c", 1);

        Assert.Equal(2, versions.Count);
        Assert.Null(versions.Floor("a"));       // forgotten: cannot tell
        Assert.Null(versions.Floor("never"));   // nor for any hash it does not remember
        Assert.Equal(1, versions.Floor("c"));

        _time.Advance(Retention - TimeSpan.FromMinutes(1)); // "a" would have expired now
        Assert.Equal(0, versions.Floor("a"));
        Assert.Equal(0, versions.Floor("never"));
    }
}
