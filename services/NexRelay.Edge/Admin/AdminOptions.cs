using System.ComponentModel.DataAnnotations;

namespace NexRelay.Edge.Admin;

/// <summary>The operator's admin token (<c>NexRelay:AdminToken</c>, env NEXRELAY_ADMIN_TOKEN via the AppHost).</summary>
public sealed class AdminOptions
{
    [Required, MinLength(16, ErrorMessage = "NexRelay:AdminToken must be at least 16 characters.")]
    public string AdminToken { get; set; } = "";
}
