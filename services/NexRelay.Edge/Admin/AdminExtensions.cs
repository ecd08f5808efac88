using NexRelay.ServiceDefaults.Auth;

namespace NexRelay.Edge.Admin;

internal static class AdminExtensions
{
    /// <summary>The admin token's scheme (the token from <see cref="AdminOptions"/>) and the clients of the services behind the edge.</summary>
    public static IServiceCollection AddEdgeAdmin(this IServiceCollection services)
    {
        services.AddAdminAuthentication<AdminOptions>(o => o.AdminToken);
        services.AddInternalServiceClients();
        return services;
    }
}
