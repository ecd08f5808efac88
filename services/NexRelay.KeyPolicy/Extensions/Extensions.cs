using System.Text.Json;
using NexRelay.KeyPolicy.Apis;
using NexRelay.KeyPolicy.Keys;
using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Data;
using NexRelay.ServiceDefaults.Messaging;
using NexRelay.ServiceDefaults.Auth;
using NexRelay.ServiceDefaults.Internal;

namespace NexRelay.KeyPolicy.Extensions;

internal static class Extensions
{
    public static IHostApplicationBuilder AddKeyPolicyServices(this IHostApplicationBuilder builder)
    {
        KeyPolicyOptions.AddTo(builder);
        builder.AddPostgresWithMigrations(ResourceNames.KeyPolicyDb, typeof(Extensions).Assembly);
        builder.AddRedisClient(ResourceNames.Redis);
        builder.AddNexRelayMessaging();

        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<KeyStore>();
        builder.Services.AddInternalAuth();
        builder.Services.AddAdminAuthentication<KeyPolicyOptions>(o => o.AdminToken);
        builder.Services.AddSingleton<KeySnapshotWriter>();
        builder.Services.AddSingleton<KeySnapshotRepair>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<KeySnapshotRepair>());
        builder.Services.AddScoped<KeyChangeNotifier>();
        return builder;
    }

    public static WebApplication MapKeyPolicyApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseNexRelayAuth();
        app.MapKeysApi();
        app.MapInternalKeysApi();
        return app;
    }
}
