using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using IPNetwork = System.Net.IPNetwork;

namespace NexRelay.Edge.Clients;

/// <summary>
/// The proxies whose <c>X-Forwarded-For</c> / <c>X-Forwarded-Proto</c> the edge believes (<c>NexRelay:ForwardedHeaders</c>):
/// in Kubernetes the Ingress controller's pods, so request logs, the failed-auth limit and the redemption limit count the
/// client, not the Ingress. Empty (the default) trusts nobody: a client could otherwise name any address and step around
/// its own limits.
/// </summary>
public sealed class TrustedProxyOptions
{
    public const string SectionName = "NexRelay:ForwardedHeaders";

    /// <summary>Single proxy addresses (<c>10.0.3.7</c>).</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Proxy networks in CIDR notation (<c>10.244.0.0/16</c>, the Ingress controller's pod network).</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>
    /// How many proxies in a row append to <c>X-Forwarded-For</c> (1: the Ingress alone). Entries left of them were written
    /// by the client and are ignored.
    /// </summary>
    public int ForwardLimit { get; set; } = 1;

    public bool TrustsAnyone => KnownProxies.Count > 0 || KnownNetworks.Count > 0;

    /// <summary>The first entry that is not an address or a network, or null.</summary>
    public string? FirstInvalid() =>
        KnownProxies.FirstOrDefault(p => !IPAddress.TryParse(p, out _)) is { } proxy ? $"{SectionName}:KnownProxies '{proxy}' is not an IP address."
        : KnownNetworks.FirstOrDefault(n => !IPNetwork.TryParse(n, out _)) is { } network ? $"{SectionName}:KnownNetworks '{network}' is not a CIDR network (e.g. 10.244.0.0/16)."
        : ForwardLimit < 1 ? $"{SectionName}:ForwardLimit must be at least 1."
        : null;
}

internal static class TrustedProxyExtensions
{
    public static IServiceCollection AddTrustedProxies(this IServiceCollection services)
    {
        services.AddOptions<TrustedProxyOptions>().BindConfiguration(TrustedProxyOptions.SectionName)
            .Validate(o => o.FirstInvalid() is null, "Invalid NexRelay:ForwardedHeaders setting (KnownProxies: IP addresses; KnownNetworks: CIDR networks).")
            .ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<TrustedProxyOptions>>((forwarded, trusted) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = trusted.Value.ForwardLimit;
            // ASP.NET Core trusts loopback by default; NexRelay trusts only what the operator names (local tests send from 127.0.0.x).
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in trusted.Value.KnownProxies) forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            foreach (var network in trusted.Value.KnownNetworks) forwarded.KnownIPNetworks.Add(IPNetwork.Parse(network));
        });
        return services;
    }

    /// <summary>
    /// First in the pipeline, so everything after it (request logs, the failed-auth and redemption limits) reads the client's
    /// address from <c>Connection.RemoteIpAddress</c>. Left out when nobody is trusted: the hot path then pays nothing for it.
    /// </summary>
    public static WebApplication UseTrustedProxies(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<TrustedProxyOptions>>().Value.TrustsAnyone) app.UseForwardedHeaders();
        return app;
    }
}
