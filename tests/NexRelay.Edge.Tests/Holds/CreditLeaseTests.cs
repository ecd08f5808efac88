using NexRelay.Billing.Client;

namespace NexRelay.Edge.Tests.Holds;

/// <summary>The in-memory side of a credit lease: what it lets requests hold, and when its spend is final.</summary>
public sealed class CreditLeaseTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid Wallet = Guid.NewGuid();

    private static CreditLease Lease(long granted = 1_000, DateTimeOffset? until = null, long? budget = null) =>
        new("lease_1", Guid.NewGuid(), Wallet, granted, "total", budget, "total", until ?? Now.AddMinutes(1));

    [Fact]
    public void Holds_are_granted_until_the_lease_is_used_up_and_never_beyond_it()
    {
        var lease = Lease(granted: 1_000);
        var granted = Enumerable.Range(0, 20).Count(_ => lease.TryReserve(300, Now));
        Assert.Equal(3, granted);
        Assert.Equal(900, lease.ReservedMicros);
        Assert.True(lease.TryReserve(100, Now));
        Assert.False(lease.TryReserve(1, Now));
    }

    [Fact]
    public void A_lease_has_room_while_it_takes_holds_and_something_is_left()
    {
        var lease = Lease(granted: 1_000);
        Assert.True(lease.HasRoom(Now));
        Assert.True(lease.TryReserve(1_000, Now));
        Assert.False(lease.HasRoom(Now)); // all reserved
        lease.Complete(1_000, 400);
        Assert.True(lease.HasRoom(Now));
        Assert.False(lease.HasRoom(Now.AddMinutes(1))); // past its window
        lease.Retire();
        Assert.False(lease.HasRoom(Now));
    }

    [Fact]
    public void A_finished_request_turns_its_hold_into_its_cost_and_frees_the_rest()
    {
        var lease = Lease(granted: 1_000);
        Assert.True(lease.TryReserve(600, Now));
        lease.Complete(600, 250);
        Assert.Equal((0L, 250L), (lease.ReservedMicros, lease.SpentMicros));
        Assert.True(lease.TryReserve(750, Now));
        Assert.False(lease.TryReserve(1, Now));
    }

    [Theory]
    [InlineData(-5, 0)]
    [InlineData(0, 0)]
    [InlineData(400, 400)]
    [InlineData(900, 400)]
    public void The_spend_is_clamped_to_the_hold(long cost, long expectedSpent)
    {
        var lease = Lease();
        Assert.True(lease.TryReserve(400, Now));
        lease.Complete(400, cost);
        Assert.Equal(expectedSpent, lease.SpentMicros);
    }

    [Fact]
    public void Concurrent_holds_never_exceed_the_grant()
    {
        var lease = Lease(granted: 10_000);
        var granted = 0;
        Parallel.For(0, 2_000, _ =>
        {
            if (lease.TryReserve(7, Now)) Interlocked.Increment(ref granted);
        });
        Assert.Equal(10_000 / 7, granted);
        Assert.Equal(granted * 7L, lease.ReservedMicros);
    }

    [Fact]
    public void A_retired_lease_takes_no_holds_and_its_spend_is_final_only_after_its_last_request()
    {
        var lease = Lease();
        Assert.True(lease.TryReserve(100, Now));
        lease.Retire();
        Assert.False(lease.TryReserve(1, Now));
        Assert.False(lease.TryGetFinalSpend(out _));
        lease.Complete(100, 40);
        Assert.True(lease.TryGetFinalSpend(out var spent));
        Assert.Equal(40, spent);
    }

    [Fact]
    public void No_holds_after_the_reserve_window()
    {
        var lease = Lease(until: Now.AddSeconds(10));
        Assert.True(lease.TryReserve(1, Now.AddSeconds(9)));
        Assert.False(lease.TryReserve(1, Now.AddSeconds(10)));
    }

    [Fact]
    public void Idle_leases_retire_but_not_while_a_request_runs()
    {
        var lease = Lease(until: Now.AddHours(1));
        Assert.True(lease.TryReserve(1, Now));
        lease.RetireIfStale(Now.AddMinutes(5), TimeSpan.FromSeconds(2));
        Assert.False(lease.Retired);
        lease.Complete(1, 1);
        lease.RetireIfStale(Now.AddSeconds(1), TimeSpan.FromSeconds(2));
        Assert.False(lease.Retired);
        lease.RetireIfStale(Now.AddSeconds(2), TimeSpan.FromSeconds(2));
        Assert.True(lease.Retired);
    }

    [Fact]
    public void A_lease_past_its_window_retires_even_while_requests_run()
    {
        var lease = Lease(until: Now.AddSeconds(30));
        Assert.True(lease.TryReserve(1, Now));
        lease.RetireIfStale(Now.AddSeconds(30), TimeSpan.FromSeconds(2));
        Assert.True(lease.Retired);
        Assert.False(lease.TryGetFinalSpend(out _));
    }

    [Theory]
    [InlineData(null, "total", true)]
    [InlineData(5_000L, "total", false)]
    [InlineData(null, "day", false)]
    [InlineData(null, "TOTAL", true)]
    public void A_lease_serves_only_the_policy_it_was_taken_under(long? budget, string period, bool matches)
    {
        var lease = Lease(budget: null);
        Assert.Equal(matches, lease.Matches(Wallet, budget, period));
        Assert.False(lease.Matches(Guid.NewGuid(), null, "total"));
    }
}
