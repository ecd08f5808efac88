using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Data;
using NexRelay.ServiceDefaults.Messaging;

namespace NexRelay.Billing.Extensions;

internal static class Extensions
{
    public static IHostApplicationBuilder AddBillingServices(this IHostApplicationBuilder builder)
    {
        builder.AddPostgresWithMigrations(ResourceNames.BillingDb, typeof(Extensions).Assembly);
        builder.AddNexRelayMessaging();
        return builder;
    }

    public static WebApplication MapBillingApi(this WebApplication app) => app;
}
