using System.Text.Json;
using System.Text.Json.Nodes;

namespace NexRelay.Edge.Translation;

/// <summary>
/// Typed, validating reads of a client's JSON body: a wrong type or a missing required field becomes a
/// <see cref="RequestValidationException"/> naming the parameter, never an InvalidOperationException. JSON null counts as absent.
/// </summary>
internal static class RequestReader
{
    public static JsonNode? Get(JsonObject o, string name) => o.TryGetPropertyValue(name, out var v) ? v : null;

    /// <summary>Gemini accepts proto3 JSON: camelCase and snake_case spellings of the same field.</summary>
    public static JsonNode? Get(JsonObject o, string name, string altName) => Get(o, name) ?? Get(o, altName);

    public static string RequiredString(JsonObject o, string name, string param)
    {
        var node = Get(o, name) ?? throw new RequestValidationException($"Missing required parameter: '{param}'.", param);
        return AsString(node, param);
    }

    public static string? OptionalString(JsonObject o, string name, string param) =>
        Get(o, name) is { } node ? AsString(node, param) : null;

    public static string AsString(JsonNode node, string param) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.TryGetValue<string>(out var s)
            ? s
            : throw new RequestValidationException($"Invalid type for '{param}': expected a string.", param);

    public static int? OptionalInt(JsonObject o, string name, string param, int min = int.MinValue)
    {
        if (Get(o, name) is not { } node) return null;
        int value;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i)) value = i;
        else if (node is JsonValue d && d.GetValueKind() == JsonValueKind.Number && d.TryGetValue<double>(out var dbl)
                 && dbl == Math.Floor(dbl) && dbl >= int.MinValue && dbl <= int.MaxValue) value = (int)dbl;
        else throw new RequestValidationException($"Invalid type for '{param}': expected an integer.", param);
        return value >= min
            ? value
            : throw new RequestValidationException($"Invalid '{param}': {value} is below the minimum of {min}.", param);
    }

    public static double? OptionalDouble(JsonObject o, string name, string param, double min = double.MinValue, double max = double.MaxValue)
    {
        if (Get(o, name) is not { } node) return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d))
        {
            return d >= min && d <= max
                ? d
                : throw new RequestValidationException($"Invalid '{param}': {d} is outside the range {min} to {max}.", param);
        }
        throw new RequestValidationException($"Invalid type for '{param}': expected a number.", param);
    }

    public static bool? OptionalBool(JsonObject o, string name, string param)
    {
        if (Get(o, name) is not { } node) return null;
        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new RequestValidationException($"Invalid type for '{param}': expected a boolean.", param),
        };
    }

    public static JsonArray RequiredArray(JsonObject o, string name, string param) =>
        OptionalArray(o, name, param) ?? throw new RequestValidationException($"Missing required parameter: '{param}'.", param);

    public static JsonArray? OptionalArray(JsonObject o, string name, string param) => Get(o, name) switch
    {
        null => null,
        JsonArray a => a,
        _ => throw new RequestValidationException($"Invalid type for '{param}': expected an array.", param),
    };

    public static JsonObject? OptionalObject(JsonObject o, string name, string param) => Get(o, name) switch
    {
        null => null,
        JsonObject obj => obj,
        _ => throw new RequestValidationException($"Invalid type for '{param}': expected an object.", param),
    };

    public static JsonObject AsObject(JsonNode? node, string param) => node as JsonObject
        ?? throw new RequestValidationException($"Invalid type for '{param}': expected an object.", param);

    /// <summary>A string or an array of strings (OpenAI <c>stop</c>).</summary>
    public static void ReadStringOrArray(JsonObject o, string name, string param, List<string> into)
    {
        switch (Get(o, name))
        {
            case null: return;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    into.Add(AsString(a[i] ?? throw Invalid($"{param}[{i}]", "a string"), $"{param}[{i}]"));
                }
                return;
            case var node:
                into.Add(AsString(node, param));
                return;
        }
    }

    public static RequestValidationException Invalid(string param, string expected) =>
        new($"Invalid type for '{param}': expected {expected}.", param);

    /// <summary>Runs a parser, turning any stray JSON/cast error into a 400 rather than a 500.</summary>
    public static ChatRequest Guard(Func<ChatRequest> parse)
    {
        try
        {
            return parse();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or InvalidCastException or FormatException
                                       or ArgumentException or OverflowException or KeyNotFoundException)
        {
            throw new RequestValidationException($"The request body is invalid: {e.Message}");
        }
    }

    /// <summary>Tool schemas and arguments are passed on as JSON; serialise a node without a round trip through JsonElement.</summary>
    public static string ToJson(JsonNode? node) => Lenient.Json(node);
}

/// <summary>Lenient reads of an upstream's JSON: a missing or odd field reads as null/0 rather than throwing.</summary>
internal static class Lenient
{
    /// <summary>Readable escaping for JSON that travels as a string (tool arguments): quotes stay \" rather than \u0022.</summary>
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Json(JsonNode? node) => node?.ToJsonString(Relaxed) ?? "{}";

    public static string? Str(JsonNode? node)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String) return null;
        try
        {
            return v.TryGetValue<string>(out var s) ? s : null;
        }
        catch (InvalidOperationException)
        {
            return v.TryGetValue<JsonElement>(out var raw) ? DecodeLiteral(raw.GetRawText()) : null;
        }
    }

    public static string? Str(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.String) return null;
        try
        {
            return e.GetString();
        }
        catch (InvalidOperationException)
        {
            return DecodeLiteral(e.GetRawText());
        }
    }

    /// <summary>
    /// Decodes a JSON string literal that System.Text.Json refuses: an upstream that splits a surrogate pair across two
    /// chunks sends an escaped lone surrogate. Kept as is (writers emit U+FFFD) instead of failing the whole stream.
    /// </summary>
    internal static string DecodeLiteral(string literal)
    {
        var text = literal.Length >= 2 && literal[0] == '"' && literal[^1] == '"' ? literal.AsSpan(1, literal.Length - 2) : literal.AsSpan();
        var result = new System.Text.StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\' || i + 1 >= text.Length)
            {
                result.Append(text[i]);
                continue;
            }
            var c = text[++i];
            switch (c)
            {
                case 'n': result.Append('\n'); break;
                case 'r': result.Append('\r'); break;
                case 't': result.Append('\t'); break;
                case 'b': result.Append('\b'); break;
                case 'f': result.Append('\f'); break;
                case 'u' when i + 4 < text.Length
                              && ushort.TryParse(text.Slice(i + 1, 4), System.Globalization.NumberStyles.HexNumber, null, out var code):
                    result.Append((char)code);
                    i += 4;
                    break;
                default: result.Append(c); break;
            }
        }
        return result.ToString();
    }

    public static JsonElement? Obj(JsonElement o, ReadOnlySpan<byte> name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    public static string? Str(JsonElement o, ReadOnlySpan<byte> name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) ? Str(v) : null;

    public static long Long(JsonElement o, ReadOnlySpan<byte> name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l) ? l : 0;

    public static long Long(JsonNode? node)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number) return 0;
        if (v.TryGetValue<long>(out var l)) return l;
        return v.TryGetValue<double>(out var d) ? (long)d : 0;
    }

    public static bool Bool(JsonNode? node) => node?.GetValueKind() == JsonValueKind.True;

    public static JsonNode? Path(JsonNode? node, params ReadOnlySpan<string> names)
    {
        foreach (var n in names)
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(n, out node)) return null;
        }
        return node;
    }

    public static JsonObject? Parse(ReadOnlySpan<byte> data)
    {
        try
        {
            return JsonNode.Parse(data) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
