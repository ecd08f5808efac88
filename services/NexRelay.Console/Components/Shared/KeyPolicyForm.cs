using System.Globalization;
using System.Text.Json.Nodes;
using NexRelay.Console.Edge;

namespace NexRelay.Console.Components.Shared;

/// <summary>
/// A key's policy as a form holds it: text, as typed. <see cref="ToJson"/> hands the admin API what was typed (numbers as
/// numbers when they are numbers, anything else as the text itself) so the API's own validation answers, beside the field.
/// </summary>
public sealed class KeyPolicyForm
{
    public string? Name { get; set; }
    public string? AllowedModels { get; set; }
    public string? MaxOutputTokens { get; set; }
    public string OutputCapMode { get; set; } = "clamp";
    public string? BudgetUsd { get; set; }
    public string BudgetPeriod { get; set; } = "total";
    public string? Rpm { get; set; }
    public string? Tpm { get; set; }
    public string? ExpiresAt { get; set; }
    public bool LogBodies { get; set; }

    public static KeyPolicyForm From(AdminKey key) => new()
    {
        Name = key.Name,
        AllowedModels = string.Join(", ", key.AllowedModels),
        MaxOutputTokens = key.MaxOutputTokens?.ToString(CultureInfo.InvariantCulture),
        OutputCapMode = key.OutputCapMode,
        BudgetUsd = key.BudgetUsd?.ToString(CultureInfo.InvariantCulture),
        BudgetPeriod = key.BudgetPeriod,
        Rpm = key.Rpm?.ToString(CultureInfo.InvariantCulture),
        Tpm = key.Tpm?.ToString(CultureInfo.InvariantCulture),
        ExpiresAt = key.ExpiresAt?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture),
        LogBodies = key.LogBodies,
    };

    /// <summary>The policy fields; an empty field is null (no cap, no budget, no limit, no expiry).</summary>
    public JsonObject ToJson() => new()
    {
        ["name"] = Name?.Trim(),
        ["allowed_models"] = new JsonArray([.. (AllowedModels ?? "").Split([',', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(m => JsonValue.Create(m))]),
        ["max_output_tokens"] = Number(MaxOutputTokens, integer: true),
        ["output_cap_mode"] = OutputCapMode,
        ["budget_usd"] = Number(BudgetUsd, integer: false),
        ["budget_period"] = BudgetPeriod,
        ["rpm"] = Number(Rpm, integer: true),
        ["tpm"] = Number(Tpm, integer: true),
        // A datetime-local input has no zone: the form says UTC.
        ["expires_at"] = string.IsNullOrWhiteSpace(ExpiresAt) ? null
            : DateTime.TryParse(ExpiresAt, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at)
                ? at.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : ExpiresAt.Trim(),
        ["log_bodies"] = LogBodies,
    };

    private static JsonNode? Number(string? text, bool integer)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        if (integer && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole)) return whole;
        if (!integer && decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var number)) return number;
        return text;
    }
}
