using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace NexRelay.Edge.Events;

/// <summary>
/// The edge's own readiness beyond its lifecycle: a replica whose spool reached <see cref="EdgeEventsOptions.SpoolMaxBytes"/>
/// refuses paid requests, so it leaves the Service until RabbitMQ takes the spool back (other replicas may still have room).
/// </summary>
internal sealed class SpoolHealthCheck(IRequestEventPublisher events, EventSpool spool) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(events.Backlogged
            ? HealthCheckResult.Unhealthy($"the event spool is full ({spool.PendingBytes} bytes): paid requests are refused until RabbitMQ takes it")
            : HealthCheckResult.Healthy());
}
