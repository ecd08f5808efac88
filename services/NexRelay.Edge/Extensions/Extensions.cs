using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Messaging;

namespace NexRelay.Edge.Extensions;

internal static class Extensions
{
    public static IHostApplicationBuilder AddEdgeServices(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClient(ResourceNames.Redis);
        builder.AddNexRelayMessaging();
        return builder;
    }

    public static WebApplication MapEdgeApi(this WebApplication app) => app;
}
