using System.Globalization;
using System.Text.Json;
using NexRelay.Contracts.Money;

namespace NexRelay.KeyPolicy.Keys;

/// <summary>
/// Reads the admin API's JSON fields one by one, so every error names its field and no field is applied silently:
/// unknown fields and read-only fields are errors, not ignored.
/// </summary>
internal static class KeyFields
{
    public const int MaxNameLength = 200;
    public const int MaxOutputTokensLimit = 1_000_000;
    public const int MaxAllowedModels = 200;
    public const int MaxModelPatternLength = 200;

    private static readonly HashSet<string> ReadOnly = ["id", "wallet_id", "key", "key_hash", "hint", "state", "created_at", "updated_at", "rotated_at", "revoked_at"];

    /// <summary>Parses a create body; <paramref name="walletId"/> and <paramref name="settings"/> are set only when there are no errors.</summary>
    public static Dictionary<string, string[]> ParseCreate(JsonElement body, out Guid walletId, out KeySettings settings)
    {
        var errors = new Dictionary<string, string[]>();
        walletId = Guid.Empty;
        settings = new KeySettings { Name = "" };
        if (!RequireObject(body, errors)) return errors;

        var draft = new Draft(settings);
        bool sawWallet = false, sawName = false;
        foreach (var property in body.EnumerateObject())
        {
            switch (property.Name)
            {
                case "wallet_id":
                    sawWallet = true;
                    if (property.Value.ValueKind == JsonValueKind.String && Guid.TryParse(property.Value.GetString(), out var id) && id != Guid.Empty)
                        walletId = id;
                    else
                        errors["wallet_id"] = ["wallet_id must be a UUID."];
                    break;
                case "name":
                    sawName = true;
                    ApplySetting(property, draft, errors);
                    break;
                case "disabled":
                    errors["disabled"] = ["disabled can only be set with PATCH."];
                    break;
                default:
                    if (ReadOnly.Contains(property.Name)) errors[property.Name] = [$"{property.Name} is read-only."];
                    else ApplySetting(property, draft, errors);
                    break;
            }
        }
        if (!sawWallet) errors["wallet_id"] = ["wallet_id is required."];
        if (!sawName) errors["name"] = ["name is required."];
        settings = draft.Settings;
        return errors;
    }

    /// <summary>Applies a PATCH body on top of <paramref name="current"/>; only policy fields, name and disabled may change.</summary>
    public static Dictionary<string, string[]> ParsePatch(JsonElement body, KeySettings current, out KeySettings updated)
    {
        var errors = new Dictionary<string, string[]>();
        updated = current;
        if (!RequireObject(body, errors)) return errors;

        var draft = new Draft(current);
        foreach (var property in body.EnumerateObject())
        {
            if (ReadOnly.Contains(property.Name)) errors[property.Name] = [$"{property.Name} is read-only."];
            else ApplySetting(property, draft, errors);
        }
        updated = draft.Settings;
        return errors;
    }

    private static bool RequireObject(JsonElement body, Dictionary<string, string[]> errors)
    {
        if (body.ValueKind == JsonValueKind.Object) return true;
        errors["body"] = ["The request body must be a JSON object."];
        return false;
    }

    private sealed class Draft(KeySettings settings)
    {
        public KeySettings Settings { get; set; } = settings;
    }

    private static void ApplySetting(JsonProperty property, Draft draft, Dictionary<string, string[]> errors)
    {
        var name = property.Name;
        var value = property.Value;
        var s = draft.Settings;
        string? error = null;
        switch (name)
        {
            case "name":
                if (value.ValueKind == JsonValueKind.String && value.GetString() is { } n && !string.IsNullOrWhiteSpace(n) && n.Length <= MaxNameLength)
                    s = s with { Name = n };
                else error = $"name must be a string of 1 to {MaxNameLength} characters.";
                break;
            case "allowed_models":
                if (TryParseModels(value, out var models, out error)) s = s with { AllowedModels = models };
                break;
            case "max_output_tokens":
                if (TryNullableInt(value, 1, MaxOutputTokensLimit, out var cap)) s = s with { MaxOutputTokens = cap };
                else error = $"max_output_tokens must be null or an integer from 1 to {MaxOutputTokensLimit}.";
                break;
            case "output_cap_mode":
                if (value.ValueKind == JsonValueKind.String && value.GetString() is "clamp" or "reject")
                    s = s with { OutputCapMode = value.GetString()! };
                else error = "output_cap_mode must be \"clamp\" or \"reject\".";
                break;
            case "budget_usd":
                if (value.ValueKind == JsonValueKind.Null) s = s with { BudgetMicros = null };
                else if (value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var usd) && usd >= 0 && Micros.TryParseUsd(usd, out var micros))
                    s = s with { BudgetMicros = micros };
                else error = "budget_usd must be null or a number ≥ 0 with at most 6 decimals.";
                break;
            case "budget_period":
                if (value.ValueKind == JsonValueKind.String && value.GetString() is "total" or "day" or "month")
                    s = s with { BudgetPeriod = value.GetString()! };
                else error = "budget_period must be \"total\", \"day\" or \"month\".";
                break;
            case "rpm":
                if (TryNullableInt(value, 1, int.MaxValue, out var rpm)) s = s with { Rpm = rpm };
                else error = "rpm must be null or a positive integer.";
                break;
            case "tpm":
                if (TryNullableInt(value, 1, int.MaxValue, out var tpm)) s = s with { Tpm = tpm };
                else error = "tpm must be null or a positive integer.";
                break;
            case "expires_at":
                if (value.ValueKind == JsonValueKind.Null) s = s with { ExpiresAt = null };
                else if (value.ValueKind == JsonValueKind.String && TryParseTimestamp(value.GetString()!, out var at)) s = s with { ExpiresAt = at };
                else error = "expires_at must be null or an ISO-8601 timestamp with a time zone, e.g. 2030-01-31T00:00:00Z.";
                break;
            case "log_bodies":
                if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) s = s with { LogBodies = value.GetBoolean() };
                else error = "log_bodies must be true or false.";
                break;
            case "disabled":
                if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) s = s with { Disabled = value.GetBoolean() };
                else error = "disabled must be true or false.";
                break;
            default:
                error = $"Unknown field {name}.";
                break;
        }
        if (error is not null) errors[name] = [error];
        else draft.Settings = s;
    }

    private static bool TryNullableInt(JsonElement value, int min, int max, out int? result)
    {
        result = null;
        if (value.ValueKind == JsonValueKind.Null) return true;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var n) || n < min || n > max) return false;
        result = n;
        return true;
    }

    private static bool TryParseModels(JsonElement value, out IReadOnlyList<string> models, out string? error)
    {
        models = [];
        error = null;
        if (value.ValueKind == JsonValueKind.Null) return true;
        if (value.ValueKind != JsonValueKind.Array)
        {
            error = "allowed_models must be an array of model ids or patterns (\"*\" matches any characters).";
            return false;
        }
        var list = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 and <= MaxModelPatternLength } pattern
                || pattern.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                error = $"allowed_models entries must be non-empty strings of at most {MaxModelPatternLength} characters without spaces.";
                return false;
            }
            if (!list.Contains(pattern, StringComparer.Ordinal)) list.Add(pattern);
        }
        if (list.Count > MaxAllowedModels)
        {
            error = $"allowed_models may hold at most {MaxAllowedModels} entries.";
            return false;
        }
        models = list;
        return true;
    }

    /// <summary>ISO-8601 with an explicit offset or Z: a bare local time would mean different instants on different servers.</summary>
    private static bool TryParseTimestamp(string text, out DateTimeOffset at)
    {
        at = default;
        if (text.Length < 20 || !(text.EndsWith('Z') || text.EndsWith("z", StringComparison.Ordinal) || text[^6] is '+' or '-')) return false;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out at)) return false;
        at = at.ToUniversalTime();
        return true;
    }
}
