using NexRelay.ServiceDefaults;

namespace NexRelay.Logging.Admin;

/// <summary>The shared admin token the edge forwards on admin and self-service log queries.</summary>
public sealed class AdminOptions
{
    public const string Section = "NexRelay";

    [AdminToken]
    public string AdminToken { get; set; } = "";
}
