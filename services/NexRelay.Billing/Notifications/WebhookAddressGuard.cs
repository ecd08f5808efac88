using System.Net;
using System.Net.Sockets;

namespace NexRelay.Billing.Notifications;

/// <summary>
/// Decides whether billing may send a webhook to a URL: a key holder chooses it, so without this it is a server-side
/// request forgery surface (billing's own network: the metadata service, databases, the admin API on loopback).
/// HTTPS only; the host must resolve, and to public addresses only (every address it resolves to: a name with one private
/// address among public ones is refused). Operators may allow some hosts anyway (<see cref="NotificationOptions.AllowedHosts"/>,
/// <c>host</c> or <c>host:port</c>): those skip the address check, and with <see cref="NotificationOptions.AllowHttpForAllowedHosts"/>
/// may use plain HTTP (the local run's simulated receiver). The same check runs again at every delivery, on the addresses
/// the connection actually uses (<see cref="WebhookSender"/>), since DNS can change after the settings were accepted.
/// </summary>
public sealed class WebhookAddressGuard(IReadOnlyCollection<string> allowedHosts, bool allowHttpForAllowedHosts,
    Func<string, CancellationToken, Task<IPAddress[]>> resolve)
{
    public const int MaxUrlLength = 2000;

    public static Task<IPAddress[]> DnsResolveAsync(string host, CancellationToken cancellationToken) =>
        Dns.GetHostAddressesAsync(host, cancellationToken);

    /// <summary>Null when the URL may be used; else why not, in words for the owner.</summary>
    public async Task<string?> RefusalAsync(string? url, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > MaxUrlLength)
            return $"Required: an absolute https URL of at most {MaxUrlLength} characters.";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || string.IsNullOrEmpty(uri.Host))
            return "Must be an absolute https URL.";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "Must not carry a user name or password.";
        if (!string.IsNullOrEmpty(uri.Fragment)) return "Must not carry a fragment.";
        var allowed = IsAllowedHost(uri.IdnHost, uri.Port);
        if (uri.Scheme == "http" && !(allowed && allowHttpForAllowedHosts)) return "Must use https.";
        if (allowed) return null;
        return await AddressRefusalAsync(uri.IdnHost, cancellationToken);
    }

    /// <summary>The host as the operator allowed it: by name (any port) or as <c>host:port</c>.</summary>
    public bool IsAllowedHost(string host, int port)
    {
        host = host.Trim('[', ']');
        foreach (var entry in allowedHosts)
        {
            var e = entry.Trim();
            if (e.Length == 0) continue; // an empty entry (the Kubernetes default) allows nothing
            if (string.Equals(e, host, StringComparison.OrdinalIgnoreCase)) return true;
            if (string.Equals(e, $"{host}:{port}", StringComparison.OrdinalIgnoreCase)) return true;
            if (host.Contains(':') && string.Equals(e, $"[{host}]:{port}", StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary>Null when the host (a name or an address literal) resolves to public addresses only.</summary>
    public async Task<string?> AddressRefusalAsync(string host, CancellationToken cancellationToken)
    {
        host = host.Trim('[', ']');
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal)) addresses = [literal];
        else
        {
            try
            {
                addresses = await resolve(host, cancellationToken);
            }
            catch (SocketException)
            {
                return $"The host '{host}' does not resolve.";
            }
            if (addresses.Length == 0) return $"The host '{host}' does not resolve.";
        }
        foreach (var address in addresses)
        {
            if (IsForbidden(address)) return $"The host '{host}' is a private, loopback, link-local or otherwise internal address ({address}); webhooks go to public addresses only.";
        }
        return null;
    }

    /// <summary>
    /// Addresses a webhook may not reach: everything that is not a public unicast address. IPv4 inside IPv6 (mapped
    /// <c>::ffff:a.b.c.d</c>, compatible <c>::a.b.c.d</c>, NAT64 <c>64:ff9b::/96</c>, 6to4 <c>2002::/16</c>) is judged by its IPv4 address.
    /// </summary>
    public static bool IsForbidden(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork) return IsForbiddenV4(address.GetAddressBytes());
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return true;
        if (address.IsIPv4MappedToIPv6) return IsForbiddenV4(address.MapToIPv4().GetAddressBytes());
        var b = address.GetAddressBytes();
        // ::/96 holds :: (unspecified), ::1 (loopback) and the deprecated IPv4-compatible addresses: none is a public host.
        if (b.Take(12).All(x => x == 0)) return true;
        // NAT64 (64:ff9b::/96): a translator would reach the embedded IPv4 address.
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.Skip(4).Take(8).All(x => x == 0))
            return IsForbiddenV4(b[12..16]);
        if (b[0] == 0x20 && b[1] == 0x02) return IsForbiddenV4(b[2..6]);            // 6to4
        if ((b[0] & 0xfe) == 0xfc) return true;                                      // fc00::/7 unique local (fd00:ec2::254: AWS metadata)
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;                      // fe80::/10 link-local
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return true;                      // fec0::/10 site-local (deprecated)
        if (b[0] == 0xff) return true;                                               // multicast
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return true; // 2001:db8::/32 documentation
        if (b[0] == 0x01 && b[1] == 0x00 && b.Skip(2).Take(6).All(x => x == 0)) return true; // 100::/64 discard
        return false;
    }

    private static bool IsForbiddenV4(ReadOnlySpan<byte> a) => a[0] switch
    {
        0 => true,                                     // 0.0.0.0/8 "this network" (0.0.0.0 reaches the local host)
        10 => true,                                    // private
        100 => (a[1] & 0xc0) == 64,                    // 100.64.0.0/10 carrier-grade NAT
        127 => true,                                   // loopback
        169 => a[1] == 254,                            // link-local, 169.254.169.254 the cloud metadata service
        172 => (a[1] & 0xf0) == 16,                    // 172.16.0.0/12 private
        192 => a[1] == 168 || (a[1] == 0 && (a[2] == 0 || a[2] == 2)) || (a[1] == 88 && a[2] == 99), // private, IETF, TEST-NET-1, 6to4 relay
        198 => (a[1] & 0xfe) == 18 || (a[1] == 51 && a[2] == 100), // benchmarking, TEST-NET-2
        203 => a[1] == 0 && a[2] == 113,               // TEST-NET-3
        >= 224 => true,                                // multicast, reserved, broadcast
        _ => false,
    };
}
