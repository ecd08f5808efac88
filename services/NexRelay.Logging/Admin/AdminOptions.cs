using System.ComponentModel.DataAnnotations;

namespace NexRelay.Logging.Admin;

/// <summary>The shared admin token the edge forwards on admin and self-service log queries.</summary>
public sealed class AdminOptions
{
    public const string Section = "NexRelay";

    [Required(ErrorMessage = "Set NexRelay:AdminToken (the bearer token for /admin/v1 calls).")]
    [MinLength(16, ErrorMessage = "NexRelay:AdminToken must be at least 16 characters.")]
    public string AdminToken { get; set; } = "";
}
