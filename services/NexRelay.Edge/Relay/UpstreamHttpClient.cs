namespace NexRelay.Edge.Relay;

/// <summary>The named HttpClient every upstream AI call goes through (<see cref="UpstreamClient.HttpClientName"/>).</summary>
internal static class UpstreamHttpClient
{
    public static IServiceCollection AddUpstreamHttpClient(this IServiceCollection services)
    {
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
        return services;
    }
}
