using System.ComponentModel.DataAnnotations;

namespace NexRelay.ServiceDefaults;

/// <summary>
/// Validates the operator's admin token (<c>NexRelay:AdminToken</c>; NEXRELAY_ADMIN_TOKEN through the AppHost). The edge,
/// billing, key-policy and logging share one token, so they share one minimum, kept here: a token one service accepts is
/// never refused by another at start.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class AdminTokenAttribute() : ValidationAttribute(() => Requirement)
{
    /// <summary>24 characters: a generated token (<c>nra_</c> + 48 hex digits) has far more; a guessable word has less.</summary>
    public const int MinLength = 24;

    public static readonly string Requirement =
        $"Setting NexRelay:AdminToken (env NexRelay__AdminToken, or NEXRELAY_ADMIN_TOKEN through the AppHost) must be at least {MinLength} characters.";

    public static bool IsLongEnough(string? token) => token is { Length: >= MinLength };

    public override bool IsValid(object? value) => IsLongEnough(value as string);
}
