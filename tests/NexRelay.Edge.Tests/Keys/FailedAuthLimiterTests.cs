using System.Net;
using Microsoft.Extensions.Options;
using NexRelay.Edge.Keys;

namespace NexRelay.Edge.Tests.Keys;

public sealed class FailedAuthLimiterTests
{
    private static readonly IPAddress Client = IPAddress.Parse("203.0.113.7");
    private readonly ManualTime _time = new();

    private FailedAuthLimiter Limiter(int limit = 3, int maxClients = 1000) =>
        new(Options.Create(new FailedAuthOptions { Limit = limit, Window = TimeSpan.FromSeconds(10), MaxClients = maxClients }), _time);

    [Fact]
    public void A_client_is_refused_after_its_limit_until_its_window_ends()
    {
        var limiter = Limiter();
        for (var i = 0; i < 3; i++) Assert.Null(limiter.TryCharge(Client));
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(TimeSpan.FromSeconds(6), limiter.TryCharge(Client));
        Assert.Null(limiter.TryCharge(IPAddress.Parse("203.0.113.8"))); // another client is not affected

        _time.Advance(TimeSpan.FromSeconds(6));
        Assert.Null(limiter.TryCharge(Client));
    }

    [Fact]
    public void A_refund_gives_a_charge_back()
    {
        var limiter = Limiter();
        for (var i = 0; i < 3; i++) Assert.Null(limiter.TryCharge(Client));
        limiter.Refund(Client);
        Assert.Null(limiter.TryCharge(Client));
        Assert.NotNull(limiter.TryCharge(Client));
    }

    [Fact]
    public void An_IPv6_64_is_one_client_and_an_IPv4_mapped_address_is_its_IPv4()
    {
        var limiter = Limiter(limit: 2);
        Assert.Null(limiter.TryCharge(IPAddress.Parse("2001:db8:1:2::1")));
        Assert.Null(limiter.TryCharge(IPAddress.Parse("2001:db8:1:2:ffff::9")));
        Assert.NotNull(limiter.TryCharge(IPAddress.Parse("2001:db8:1:2:aaaa:bbbb:cccc:dddd")));
        Assert.Null(limiter.TryCharge(IPAddress.Parse("2001:db8:1:3::1")));

        Assert.Null(limiter.TryCharge(Client));
        Assert.Null(limiter.TryCharge(Client.MapToIPv6()));
        Assert.NotNull(limiter.TryCharge(Client));
        Assert.NotEqual(FailedAuthLimiter.ClientOf(IPAddress.Parse("0.0.0.0")), FailedAuthLimiter.ClientOf(IPAddress.IPv6Any));
    }

    [Fact]
    public void Memory_is_bounded_however_many_clients_fail()
    {
        var limiter = Limiter(limit: 1, maxClients: 10_000);
        var bytes = new byte[4];
        for (var i = 0; i < 1_000_000; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes, i);
            limiter.TryCharge(new IPAddress(bytes));
        }
        Assert.Equal(10_000, limiter.Count);

        // Windows that ended are forgotten as soon as anyone is charged.
        _time.Advance(TimeSpan.FromSeconds(10));
        limiter.TryCharge(Client);
        Assert.Equal(1, limiter.Count);
    }
}
