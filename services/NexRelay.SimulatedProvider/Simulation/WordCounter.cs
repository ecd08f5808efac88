using System.Runtime.InteropServices;
using System.Text.Json;

namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>Counts whitespace-separated words: the simulator's notion of input tokens.</summary>
internal static class WordCounter
{
    public static int Count(ReadOnlySpan<char> text)
    {
        var count = 0;
        var inWord = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c)) inWord = false;
            else if (!inWord) { inWord = true; count++; }
        }
        return count;
    }

    /// <summary>Words in a JSON string value; counts plain ASCII in place and decodes only when escapes or non-ASCII appear.</summary>
    public static int Count(JsonElement stringValue)
    {
        var raw = JsonMarshal.GetRawUtf8Value(stringValue);
        // raw includes the quotes.
        raw = raw.Length >= 2 ? raw[1..^1] : raw;
        var count = 0;
        var inWord = false;
        foreach (var b in raw)
        {
            if (b is (byte)'\\' or >= 0x80) return Count(stringValue.GetString().AsSpan());
            if (b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C) inWord = false;
            else if (!inWord) { inWord = true; count++; }
        }
        return count;
    }

    /// <summary>Words in every string inside a JSON value (tool results given as objects).</summary>
    public static int CountStrings(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return Count(value);
            case JsonValueKind.Array:
            {
                var total = 0;
                foreach (var item in value.EnumerateArray()) total += CountStrings(item);
                return total;
            }
            case JsonValueKind.Object:
            {
                var total = 0;
                foreach (var property in value.EnumerateObject()) total += CountStrings(property.Value);
                return total;
            }
            default:
                return 0;
        }
    }

    /// <summary>Whether a string value contains <paramref name="word"/> (ordinal).</summary>
    public static bool Contains(JsonElement stringValue, string word) =>
        stringValue.ValueKind == JsonValueKind.String && stringValue.GetString()!.Contains(word, StringComparison.Ordinal);
}
