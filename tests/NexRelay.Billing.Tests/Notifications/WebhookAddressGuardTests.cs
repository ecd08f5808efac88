using System.Net;
using System.Net.Sockets;
using NexRelay.Billing.Notifications;

namespace NexRelay.Billing.Tests.Notifications;

public sealed class WebhookAddressGuardTests
{
    /// <summary>Names the tests map themselves (no DNS): what a hostile owner would point a webhook at.</summary>
    private static readonly Dictionary<string, IPAddress[]> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["public.test"] = [IPAddress.Parse("93.184.216.34")],
        ["loopback.test"] = [IPAddress.Parse("127.0.0.1")],
        ["metadata.test"] = [IPAddress.Parse("169.254.169.254")],
        ["mixed.test"] = [IPAddress.Parse("93.184.216.34"), IPAddress.Parse("10.1.2.3")],
        ["mapped.test"] = [IPAddress.Parse("::ffff:127.0.0.1")],
        ["ula.test"] = [IPAddress.Parse("fd00::1")],
        ["empty.test"] = [],
    };

    private static Task<IPAddress[]> Resolve(string host, CancellationToken _) =>
        Names.TryGetValue(host, out var a) ? Task.FromResult(a) : throw new SocketException((int)SocketError.HostNotFound);

    private static WebhookAddressGuard Guard(string[]? allowed = null, bool allowHttp = false) => new(allowed ?? [], allowHttp, Resolve);

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("0.1.2.3")]
    [InlineData("10.0.0.1")]
    [InlineData("100.64.0.1")]          // carrier-grade NAT
    [InlineData("100.127.255.254")]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.255.254")]
    [InlineData("169.254.169.254")]     // cloud metadata
    [InlineData("169.254.0.1")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("192.0.0.8")]
    [InlineData("198.18.0.1")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("::127.0.0.1")]         // IPv4-compatible
    [InlineData("::ffff:127.0.0.1")]    // IPv4-mapped
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("64:ff9b::7f00:1")]     // NAT64 of 127.0.0.1
    [InlineData("2002:a9fe:a9fe::1")]   // 6to4 of 169.254.169.254
    [InlineData("fc00::1")]
    [InlineData("fd00:ec2::254")]       // AWS metadata over IPv6
    [InlineData("fe80::1")]
    [InlineData("febf::1")]
    [InlineData("fec0::1")]
    [InlineData("ff02::1")]
    [InlineData("2001:db8::1")]
    public void Internal_addresses_are_forbidden(string address) => Assert.True(WebhookAddressGuard.IsForbidden(IPAddress.Parse(address)), address);

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("93.184.216.34")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.1")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.1")]
    [InlineData("169.253.1.1")]
    [InlineData("192.169.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    public void Public_addresses_are_allowed(string address) => Assert.False(WebhookAddressGuard.IsForbidden(IPAddress.Parse(address)), address);

    [Theory]
    [InlineData("https://loopback.test/hook", "127.0.0.1")]          // a DNS name that resolves to 127.0.0.1
    [InlineData("https://metadata.test/hook", "169.254.169.254")]
    [InlineData("https://mixed.test/hook", "10.1.2.3")]              // one private address among public ones
    [InlineData("https://mapped.test/hook", "::ffff:127.0.0.1")]     // a name resolving to an IPv4-mapped loopback
    [InlineData("https://ula.test/hook", "fd00::1")]
    [InlineData("https://127.0.0.1/hook", "127.0.0.1")]
    [InlineData("https://[::1]/hook", "::1")]
    [InlineData("https://[::ffff:127.0.0.1]/hook", "127.0.0.1")]     // IPv6-mapped literal
    [InlineData("https://[::ffff:a9fe:a9fe]/latest/meta-data", "169.254.169.254")]
    [InlineData("https://169.254.169.254/latest/meta-data", "169.254.169.254")]
    [InlineData("https://2130706433/hook", "127.0.0.1")]             // 127.0.0.1 as one decimal number
    [InlineData("https://0x7f.0.0.1/hook", "127.0.0.1")]             // hex octet
    [InlineData("https://0.0.0.0/hook", "0.0.0.0")]
    [InlineData("https://[fe80::1]/hook", "fe80::1")]
    public async Task Urls_reaching_internal_addresses_are_refused(string url, string address)
    {
        var refusal = await Guard().RefusalAsync(url, default);
        Assert.NotNull(refusal);
        Assert.Contains("internal address", refusal);
        Assert.Contains(IPAddress.Parse(address).ToString().Replace("::ffff:", ""), refusal.Replace("::ffff:", ""));
    }

    [Fact]
    public async Task Localhost_is_refused_through_real_dns()
    {
        var guard = new WebhookAddressGuard([], false, WebhookAddressGuard.DnsResolveAsync);
        Assert.Contains("internal address", await guard.RefusalAsync("https://localhost/hook", default));
        Assert.Contains("internal address", await guard.RefusalAsync("https://localhost:8443/hook", default));
    }

    [Theory]
    [InlineData(null, "Required")]
    [InlineData("", "Required")]
    [InlineData("not a url", "absolute https")]
    [InlineData("/relative/hook", "absolute https")]
    [InlineData("ftp://public.test/hook", "absolute https")]
    [InlineData("file:///etc/passwd", "absolute https")]
    [InlineData("http://public.test/hook", "https")]
    [InlineData("https://user:secret@public.test/hook", "user name")]
    [InlineData("https://nowhere.test/hook", "does not resolve")]
    [InlineData("https://empty.test/hook", "does not resolve")]
    public async Task Malformed_or_insecure_urls_are_refused(string? url, string reason) =>
        Assert.Contains(reason, await Guard().RefusalAsync(url, default));

    [Fact]
    public async Task An_over_long_url_is_refused() =>
        Assert.NotNull(await Guard().RefusalAsync("https://public.test/" + new string('a', WebhookAddressGuard.MaxUrlLength), default));

    [Fact]
    public async Task A_public_https_url_is_accepted() => Assert.Null(await Guard().RefusalAsync("https://public.test/hooks/nexrelay?x=1", default));

    [Fact]
    public async Task An_allowed_host_may_be_internal_and_use_http_only_when_the_operator_says_so()
    {
        Assert.Null(await Guard(["loopback.test:8080"], allowHttp: true).RefusalAsync("http://loopback.test:8080/sim/webhooks/a", default));
        Assert.Null(await Guard(["loopback.test"], allowHttp: false).RefusalAsync("https://loopback.test:9443/hook", default));
        Assert.Contains("https", await Guard(["loopback.test:8080"], allowHttp: false).RefusalAsync("http://loopback.test:8080/hook", default));
        // Allowed on one port is not allowed on another.
        Assert.Contains("internal address", await Guard(["loopback.test:8080"], allowHttp: true).RefusalAsync("https://loopback.test:8081/hook", default));
        // An empty entry (Kubernetes' default) allows nothing.
        Assert.Contains("internal address", await Guard([""], allowHttp: false).RefusalAsync("https://loopback.test/hook", default));
        // http stays refused for hosts that are not allowed, however allowHttp is set.
        Assert.Contains("https", await Guard(["loopback.test:8080"], allowHttp: true).RefusalAsync("http://public.test/hook", default));
    }
}
