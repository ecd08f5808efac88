using System.Text.Json;
using NexRelay.Logging.Admin;
using NexRelay.Logging.Apis;
using NexRelay.Logging.Ingestion;
using NexRelay.Logging.Logs;
using NexRelay.Logging.Responses;
using NexRelay.Logging.Retention;
using NexRelay.Logging.Usage;
using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Auth;
using NexRelay.ServiceDefaults.Data;
using NexRelay.ServiceDefaults.Messaging;
using NexRelay.ServiceDefaults.Messaging.DeadLetters;

namespace NexRelay.Logging.Extensions;

internal static class Extensions
{
    /// <summary>Setting that overrides the ingestion queue's name (tests use their own queue on a shared broker).</summary>
    public const string IngestQueueSetting = "Logging:IngestQueue";

    public static IHostApplicationBuilder AddLoggingServices(this IHostApplicationBuilder builder)
    {
        builder.AddPostgresWithMigrations(ResourceNames.LoggingDb, typeof(Extensions).Assembly);

        var queue = builder.Configuration[IngestQueueSetting] is { Length: > 0 } name ? name : StoreRequestLogConsumerDefinition.QueueName;
        builder.AddNexRelayMessaging(x => x.AddConsumer<StoreRequestLogConsumer>(typeof(StoreRequestLogConsumerDefinition))
            .Endpoint(e => e.Name = queue));

        builder.Services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddAdminAuthentication<AdminOptions>(o => o.AdminToken);
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<UsageRollupOptions>().BindConfiguration(UsageRollupOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RequestLogStore>();
        builder.Services.AddSingleton<StoredResponseStore>();
        builder.Services.AddSingleton<IngestionMetrics>();
        builder.Services.AddDeadLetters();
        builder.Services.AddHostedService<RetentionPurgeService>();
        builder.Services.AddHostedService<UsageRollupPump>();

        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        return builder;
    }

    public static WebApplication MapLoggingApi(this WebApplication app)
    {
        app.UseNexRelayAuth();
        app.MapLogsApi();
        app.MapStoredResponsesApi();
        app.MapDeadLettersApi("/admin/v1/dead-letters/logs").RequireAuthorization(NexRelayAuth.AdminPolicy);
        return app;
    }
}
