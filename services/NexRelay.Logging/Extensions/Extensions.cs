using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Data;
using NexRelay.ServiceDefaults.Messaging;

namespace NexRelay.Logging.Extensions;

internal static class Extensions
{
    public static IHostApplicationBuilder AddLoggingServices(this IHostApplicationBuilder builder)
    {
        builder.AddPostgresWithMigrations(ResourceNames.LoggingDb, typeof(Extensions).Assembly);
        builder.AddNexRelayMessaging();
        return builder;
    }

    public static WebApplication MapLoggingApi(this WebApplication app) => app;
}
