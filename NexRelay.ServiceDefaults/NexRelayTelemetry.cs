using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Microsoft.Extensions.Hosting;

/// <summary>The one meter and activity source every NexRelay service records into.</summary>
public static class NexRelayTelemetry
{
    public const string MeterName = "NexRelay";
    public const string ActivitySourceName = "NexRelay";
    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);

    /// <summary>Tag name carried by every span and log scope of a relayed request.</summary>
    public const string RequestIdTag = "nexrelay.request_id";
}
