using System.ComponentModel.DataAnnotations;

namespace NexRelay.Console;

/// <summary>The console's settings (section <c>Console</c>). See docs/architecture.md, "Console".</summary>
public sealed class ConsoleOptions
{
    public const string Section = "Console";

    /// <summary>
    /// Where the console calls the edge (<c>Console:EdgeUrl</c>): by default the edge found by service discovery, the same
    /// public, self-service and admin APIs every other client uses. The console owns no data of its own.
    /// </summary>
    [Required]
    public string EdgeUrl { get; set; } = "http://edge";

    /// <summary>
    /// The edge's address as key holders reach it (<c>Console:PublicEdgeUrl</c>), for the copy-paste SDK and agent settings;
    /// null: <see cref="EdgeUrl"/>.
    /// </summary>
    public string? PublicEdgeUrl { get; set; }

    /// <summary>The Aspire dashboard, where it runs (<c>Console:DashboardUrl</c>): operators get links to a request's traces.</summary>
    public string? DashboardUrl { get; set; }

    /// <summary>A session ends after this long without a page load (<c>Console:IdleTimeout</c>, default 30 minutes).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00", ErrorMessage = "Console:IdleTimeout must be between 1 minute and 1 day.")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often an open requests page refreshes its first page (<c>Console:LiveRefresh</c>, default 3 s).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "Console:LiveRefresh must be between 1 second and 10 minutes.")]
    public TimeSpan LiveRefresh { get; set; } = TimeSpan.FromSeconds(3);

    public string PublicEdge => (PublicEdgeUrl ?? EdgeUrl).TrimEnd('/');
}
