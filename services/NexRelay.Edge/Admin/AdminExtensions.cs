using NexRelay.ServiceDefaults.Auth;

namespace NexRelay.Edge.Admin;

internal static class AdminExtensions
{
    /// <summary>
    /// The admin token's scheme (the token from <see cref="AdminOptions"/>), the clients of the services behind the edge,
    /// and YARP's forwarder for admin calls, its destinations found by service discovery.
    /// </summary>
    public static IServiceCollection AddEdgeAdmin(this IServiceCollection services)
    {
        services.AddAdminAuthentication<AdminOptions>(o => o.AdminToken);
        services.AddInternalServiceClients();
        services.AddHttpForwarderWithServiceDiscovery();
        services.AddSingleton<AdminForwarder>();
        return services;
    }
}
