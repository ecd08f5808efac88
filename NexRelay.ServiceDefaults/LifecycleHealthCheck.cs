using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Readiness (<c>/ready</c>): the process has started (its hosted services, the schema migration among them, ran first) and
/// is not shutting down. Nothing a replica shares with every other replica (PostgreSQL, Redis, RabbitMQ) makes it NotReady:
/// an outage of one would take every replica out of its Service at once, so callers would get nothing instead of the
/// service's own clear 503, and the edge deliberately fails open on Redis and spools events while RabbitMQ is away. Those
/// show in <c>/health</c> (deploy/kubernetes/README.md, "Probes").
/// </summary>
internal sealed class LifecycleHealthCheck : IHealthCheck
{
    private volatile bool _started;
    private volatile bool _stopping;

    public LifecycleHealthCheck(IHostApplicationLifetime lifetime)
    {
        lifetime.ApplicationStarted.Register(() => _started = true);
        lifetime.ApplicationStopping.Register(() => _stopping = true);
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_stopping ? HealthCheckResult.Unhealthy("shutting down")
            : _started ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("starting"));
}
