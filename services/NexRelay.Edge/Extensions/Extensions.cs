using NexRelay.ServiceDefaults.Internal;
using NexRelay.Edge.Admin;
using NexRelay.Edge.Apis;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Charging;
using NexRelay.Edge.Clients;
using NexRelay.Edge.Credits;
using NexRelay.Edge.Docs;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Events;
using NexRelay.Edge.Holds;
using NexRelay.Edge.Keys;
using NexRelay.Edge.Relay;
using NexRelay.Edge.Responses;
using NexRelay.Edge.Tokens;
using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Auth;
using NexRelay.ServiceDefaults.Messaging;

namespace NexRelay.Edge.Extensions;

internal static class Extensions
{
    public static IHostApplicationBuilder AddEdgeServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<CatalogOptions>().BindConfiguration(CatalogOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RelayOptions>().BindConfiguration(RelayOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AdminOptions>().BindConfiguration("NexRelay").ValidateDataAnnotations().ValidateOnStart();
        services.AddTrustedProxies();

        builder.AddRedisClient(ResourceNames.Redis);
        builder.AddNexRelayMessaging(bus => bus.ConfigureEdgeKeyConsumers());
        builder.AddEdgeKeys();
        builder.AddEdgeHolds();
        builder.AddEdgeEvents();

        services.AddSingleton<ModelCatalog>();
        services.AddSingleton<TokenEstimator>();
        services.AddSingleton<UpstreamClient>();
        services.AddSingleton<RequestCharger>();
        services.AddSingleton<UpstreamRelay>();
        services.AddSingleton<KeyGate>();
        services.AddSingleton<RelayHandler>();
        services.AddSingleton<RelayMetrics>();
        services.AddSingleton<UpstreamMetrics>();
        services.AddSingleton<ResponseStore>();
        services.AddHostedService(sp => sp.GetRequiredService<ResponseStore>());
        services.AddSingleton<FundsCheck>();
        services.AddSingleton<TokenCountHandler>();
        services.AddOptions<RedemptionLimitOptions>().BindConfiguration(RedemptionLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RedemptionLimiter>();
        services.AddEdgeAdmin();
        services.AddEdgeDocs();

        services.AddUpstreamHttpClient();

        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        return builder;
    }

    public static WebApplication MapEdgeApi(this WebApplication app)
    {
        app.UseTrustedProxies();
        app.UseUnmatchedRouteErrors();
        app.UseNexRelayAuth();
        app.MapOpenAIApi();
        app.MapStoredResponsesApi();
        app.MapAnthropicApi();
        app.MapGeminiApi();
        app.MapModelsApi();
        app.MapSelfServiceApi();
        app.MapNotificationsApi();
        app.MapCreditsApi();
        app.MapAdminApi();
        app.MapDocsApi();
        app.MapSpoolHandoffApi();
        return app;
    }
}
