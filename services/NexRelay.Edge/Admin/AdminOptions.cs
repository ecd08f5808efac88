using NexRelay.ServiceDefaults;

namespace NexRelay.Edge.Admin;

/// <summary>The operator's admin token (<c>NexRelay:AdminToken</c>, env NEXRELAY_ADMIN_TOKEN via the AppHost).</summary>
public sealed class AdminOptions
{
    [AdminToken]
    public string AdminToken { get; set; } = "";
}
