using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Internal;

namespace NexRelay.Edge.Admin;

/// <summary>
/// HTTP clients for the services behind the edge, found by Aspire service discovery (<c>http://billing</c> …; override with
/// <c>services:billing:http:0</c>) for the calls the edge makes itself (self-service reads); nothing is retried unless the
/// method is safe. Admin calls are forwarded by <see cref="AdminForwarder"/>, to the same names.
/// </summary>
internal static class InternalServices
{
    public static readonly string[] Names = [ResourceNames.Billing, ResourceNames.KeyPolicy, ResourceNames.Logging];

    public static IServiceCollection AddInternalServiceClients(this IServiceCollection services)
    {
        services.AddInternalAuth();
        foreach (var name in Names)
        {
            services.AddHttpClient(name, c => c.BaseAddress = new Uri($"http://{name}")).AddInternalToken();
        }
        return services;
    }

    /// <summary>
    /// Which service owns an admin resource: the first path segment after /admin/v1/, and for dead letters the second (each
    /// service keeps those of its own queue: <c>dead-letters/settlements</c> billing's, <c>dead-letters/logs</c> logging's).
    /// </summary>
    public static string? OwnerOf(string resource, string? rest) => resource switch
    {
        "keys" => ResourceNames.KeyPolicy,
        "wallets" or "redemption-codes" => ResourceNames.Billing,
        "logs" or "usage" => ResourceNames.Logging,
        "dead-letters" => rest?.Split('/', 2)[0] switch
        {
            "settlements" => ResourceNames.Billing,
            "logs" => ResourceNames.Logging,
            _ => null,
        },
        _ => null,
    };
}
