using System.Text.Json;

namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>Small readers for request fields that fail with a <see cref="BadRequestException"/> naming the field.</summary>
internal static class JsonRead
{
    public static bool TryGet(JsonElement obj, string name, out JsonElement value) =>
        obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    public static string RequiredString(JsonElement obj, string name, string missingMessage)
    {
        if (!TryGet(obj, name, out var value)) throw new BadRequestException(missingMessage, name);
        if (value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 } text)
        {
            throw new BadRequestException($"Invalid type for '{name}': expected a non-empty string.", name);
        }
        return text;
    }

    public static bool OptionalBool(JsonElement obj, string name)
    {
        if (!TryGet(obj, name, out var value)) return false;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new BadRequestException($"Invalid type for '{name}': expected a boolean.", name),
        };
    }

    /// <summary>An output limit: absent or null → null; otherwise an integer ≥ 1.</summary>
    public static int? OptionalLimit(JsonElement obj, string name, string? param = null)
    {
        if (!TryGet(obj, name, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var limit) || limit < 1)
        {
            throw new BadRequestException($"Invalid '{param ?? name}': expected an integer greater than or equal to 1.", param ?? name);
        }
        return limit;
    }

    public static JsonElement RequiredArray(JsonElement obj, string name, string missingMessage, bool nonEmpty = true)
    {
        if (!TryGet(obj, name, out var value)) throw new BadRequestException(missingMessage, name);
        if (value.ValueKind != JsonValueKind.Array) throw new BadRequestException($"Invalid type for '{name}': expected an array.", name);
        if (nonEmpty && value.GetArrayLength() == 0) throw new BadRequestException($"Invalid '{name}': empty array. Expected an array with minimum length 1.", name);
        return value;
    }

    /// <summary>The first of two spellings present (Gemini accepts camelCase and snake_case field names).</summary>
    public static bool TryGetEither(JsonElement obj, string camel, string snake, out JsonElement value) =>
        TryGet(obj, camel, out value) || TryGet(obj, snake, out value);

    public static bool IsString(JsonElement obj, string name, string expected) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.ValueEquals(expected);
}
