using NexRelay.Edge.Admin;
using NexRelay.Edge.Apis;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Docs;
using NexRelay.Edge.Events;
using NexRelay.Edge.Holds;
using NexRelay.Edge.Keys;
using NexRelay.Edge.Relay;
using NexRelay.Edge.Tokens;
using NexRelay.ServiceDefaults;
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

        builder.AddRedisClient(ResourceNames.Redis);
        builder.AddNexRelayMessaging(bus => bus.ConfigureEdgeKeyConsumers());
        builder.AddEdgeKeys();
        builder.AddEdgeHolds();
        builder.AddEdgeEvents();

        services.AddSingleton<ModelCatalog>();
        services.AddSingleton<TokenEstimator>();
        services.AddSingleton<UpstreamClient>();
        services.AddSingleton<UpstreamRelay>();
        services.AddSingleton<KeyGate>();
        services.AddSingleton<RelayHandler>();
        services.AddSingleton<TokenCountHandler>();
        services.AddInternalServiceClients();
        services.AddEdgeDocs();

        // Upstream AI calls get the relay's own pipeline (UpstreamClient), not the blanket standard resilience handler:
        // a proxy-grade handler with no retries, redirects, cookies or decompression, and pooled connections. No
        // IHttpClientFactory logging either: its handlers open a log scope (formatting the URL) on every call, and the relay
        // logs failed attempts itself.
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked for evaluation; it is exactly what a relay needs
        services.AddHttpClient(UpstreamClient.HttpClientName)
            .RemoveAllResilienceHandlers()
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                UseProxy = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = System.Net.DecompressionMethods.None,
                UseCookies = false,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
                ConnectTimeout = TimeSpan.FromSeconds(10),
                MaxConnectionsPerServer = int.MaxValue,
                // No traceparent to a third party: our trace ids are internal, and formatting them cost every call.
                ActivityHeadersPropagator = System.Diagnostics.DistributedContextPropagator.CreateNoOutputPropagator(),
            })
            .ConfigureHttpClient(c => c.Timeout = Timeout.InfiniteTimeSpan);
#pragma warning restore EXTEXP0001

        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        return builder;
    }

    public static WebApplication MapEdgeApi(this WebApplication app)
    {
        app.MapOpenAIApi();
        app.MapAnthropicApi();
        app.MapGeminiApi();
        app.MapModelsApi();
        app.MapSelfServiceApi();
        app.MapAdminApi();
        app.MapDocsApi();
        return app;
    }
}
