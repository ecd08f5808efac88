using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>Aspire service defaults: OpenTelemetry, health checks, service discovery and HTTP resilience.</summary>
public static class Extensions
{
    private const string HealthEndpointPath = "/health";
    private const string AlivenessEndpointPath = "/alive";
    private const string ReadinessEndpointPath = "/ready";

    /// <summary>Prometheus scrape path on every service (deploy/kubernetes annotations name it; the Ingress does not route it).</summary>
    public const string MetricsEndpointPath = "/metrics";

    /// <summary>The tag of the checks <c>/ready</c> runs (not MassTransit's own "ready" tag: the bus is a shared dependency).</summary>
    public const string ReadinessTag = "nexrelay-ready";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            // Internal calls only; upstream AI calls opt out and use the edge's own pipeline.
            // Retries only for safe methods: a retried POST could create a second wallet or key.
            http.AddStandardResilienceHandler(o => o.Retry.DisableForUnsafeHttpMethods());
            http.AddServiceDiscovery();
        });
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(NexRelayTelemetry.MeterName)
                // Beside OTLP, for Kubernetes teams whose monitoring is Prometheus: a pull endpoint, mapped in MapDefaultEndpoints.
                .AddPrometheusExporter(o =>
                {
                    // The exporter caches a scrape for 300 ms by default; a scrape right after a request must see it.
                    o.ScrapeResponseCacheDurationMilliseconds = 0;
                }))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(NexRelayTelemetry.ActivitySourceName)
                .AddSource("MassTransit")
                .AddSource("Npgsql")
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx =>
                    !ctx.Request.Path.StartsWithSegments(HealthEndpointPath) && !ctx.Request.Path.StartsWithSegments(AlivenessEndpointPath)
                    && !ctx.Request.Path.StartsWithSegments(MetricsEndpointPath))
                .AddHttpClientInstrumentation()
                .SetSampler(TraceSampler(builder.Configuration)));

        // OpenTelemetry's HttpClient instrumentation injects trace headers itself whenever its default propagator is anything
        // but W3C trace context alone, overriding each HttpClient's own ActivityHeadersPropagator (the edge's upstream client
        // sends none: our trace ids are not a provider's business). With trace context alone it leaves propagation to the
        // runtime, per client; traceparent and tracestate still flow between our services.
        Sdk.SetDefaultTextMapPropagator(new TraceContextPropagator());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }
        return builder;
    }

    /// <summary>
    /// <c>NexRelay:Telemetry:TraceSampleRatio</c> (0–1, default 1): the share of traces kept, decided where a trace starts and
    /// followed by every service it reaches. At thousands of requests per second, exporting every span costs more CPU than
    /// the relay itself; metrics and logs are never sampled.
    /// </summary>
    internal static Sampler TraceSampler(IConfiguration configuration)
    {
        var ratio = configuration.GetValue("NexRelay:Telemetry:TraceSampleRatio", 1.0);
        if (ratio is < 0 or > 1 || double.IsNaN(ratio))
            throw new InvalidOperationException($"Setting NexRelay:Telemetry:TraceSampleRatio must be between 0 and 1, not {ratio}.");
        return ratio >= 1 ? new ParentBasedSampler(new AlwaysOnSampler()) : new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio));
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddSingleton<LifecycleHealthCheck>();
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"])
            .AddCheck<LifecycleHealthCheck>("lifecycle", tags: [ReadinessTag]);
        return builder;
    }

    /// <summary>
    /// /health: every dependency, with each check's status and error in the body (for people and dashboards, not probes).
    /// /alive: the process only (liveness). /ready: what this replica itself needs to serve (readiness; <see cref="LifecycleHealthCheck"/>).
    /// /metrics: the Prometheus scrape, counts only (no key, wallet or request id is ever an attribute). Like /health it is on the
    /// service's port for the cluster's scraper; the edge's Ingress routes only the public API prefixes, so it is not public.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions { ResponseWriter = HealthResponseWriter.WriteAsync });
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });
        app.MapHealthChecks(ReadinessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains(ReadinessTag) });
        app.MapPrometheusScrapingEndpoint(MetricsEndpointPath);
        return app;
    }
}
