using System.ComponentModel.DataAnnotations;

namespace NexRelay.Edge.Events;

/// <summary>Settings under <c>Edge:</c> for publishing <c>RequestCompleted</c> events.</summary>
public sealed class EdgeEventsOptions
{
    public const string Section = "Edge";

    /// <summary>Directory of the durable spool (<c>Edge:SpoolPath</c>); relative paths are under the content root. Default <c>.spool</c>.</summary>
    public string SpoolPath { get; set; } = ".spool";

    /// <summary>
    /// The spool's size at which the edge stops taking paid requests (<c>Edge:SpoolMaxBytes</c>, default 512 MiB): they are
    /// refused with 503 before any hold, and the replica reports NotReady, while events of requests already answered are
    /// still written (a settled request is never lost to the cap; the volume needs headroom above it for those). About 1 KB
    /// an event, so the default holds some 500,000 requests of a RabbitMQ outage.
    /// </summary>
    [Range(1L << 20, 1L << 40, ErrorMessage = "Edge:SpoolMaxBytes must be between 1 MiB and 1 TiB.")]
    public long SpoolMaxBytes { get; set; } = 512L << 20;

    /// <summary>Events queued in memory before overflow goes straight to the spool (<c>Edge:EventBufferCapacity</c>).</summary>
    [Range(1, 10_000_000, ErrorMessage = "Edge:EventBufferCapacity must be between 1 and 10000000.")]
    public int EventBufferCapacity { get; set; } = 10_000;

    /// <summary>How long one publish may wait for the broker's confirm before the event is spooled (<c>Edge:EventPublishTimeout</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:05:00", ErrorMessage = "Edge:EventPublishTimeout must be between 50 ms and 5 minutes.")]
    public TimeSpan EventPublishTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the first event of a message waits for others to join it (<c>Edge:EventLinger</c>, 0 = publish at once).
    /// Each message costs RabbitMQ, billing and logging a delivery and a database transaction whatever it carries, so a few
    /// milliseconds here cut that work several-fold at moderate load; settlement and logs are asynchronous anyway.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:05", ErrorMessage = "Edge:EventLinger must be between 0 and 5 seconds.")]
    public TimeSpan EventLinger { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>Time between attempts to replay the spool to RabbitMQ (<c>Edge:SpoolReplayInterval</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00", ErrorMessage = "Edge:SpoolReplayInterval must be between 50 ms and 1 hour.")]
    public TimeSpan SpoolReplayInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Another edge that takes over this replica's spool when it stops with events RabbitMQ has not confirmed
    /// (<c>Edge:SpoolHandoffUrl</c>; in Kubernetes the edge Service, whose endpoints no longer include a stopping pod). Empty:
    /// the spool stays on this replica's disk for its next start.
    /// </summary>
    public string? SpoolHandoffUrl { get; set; }
}
