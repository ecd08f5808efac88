using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Data;
using NexRelay.ServiceDefaults.Messaging;

namespace NexRelay.KeyPolicy.Extensions;

internal static class Extensions
{
    public static IHostApplicationBuilder AddKeyPolicyServices(this IHostApplicationBuilder builder)
    {
        builder.AddPostgresWithMigrations(ResourceNames.KeyPolicyDb, typeof(Extensions).Assembly);
        builder.AddRedisClient(ResourceNames.Redis);
        builder.AddNexRelayMessaging();
        return builder;
    }

    public static WebApplication MapKeyPolicyApi(this WebApplication app) => app;
}
