using System.Runtime.InteropServices;
using System.Text.Json;

namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>
/// Knobs written into the prompt: <c>[sim:first-byte-delay-ms=3000;omit-usage]</c> in any string of the JSON body (message
/// content, system, Gemini contents and systemInstruction, Responses input, …) sets knobs for that request, by the header
/// names without <c>x-sim-</c>. A test going through a gateway that forwards no custom headers picks knobs this way.
/// Later directives override earlier ones. The directive stays in the prompt and counts as input like any other text.
/// </summary>
internal static class PromptDirectives
{
    private const string Open = "[sim:";

    /// <summary>The knobs the body's directives set, or null when it has none.</summary>
    public static Dictionary<string, string>? Find(ReadOnlySpan<byte> body, JsonDocument? document)
    {
        // One vectorised scan keeps bodies without directives (every benchmark request) off the JSON walk.
        if (document is null || body.IndexOf("[sim:"u8) < 0) return null;
        Dictionary<string, string>? knobs = null;
        Walk(document.RootElement, ref knobs);
        return knobs;
    }

    /// <summary>Reads every directive in <paramref name="text"/> into <paramref name="knobs"/>.</summary>
    public static void Read(ReadOnlySpan<char> text, ref Dictionary<string, string>? knobs)
    {
        while (true)
        {
            var start = text.IndexOf(Open, StringComparison.Ordinal);
            if (start < 0) return;
            text = text[(start + Open.Length)..];
            var end = text.IndexOf(']');
            if (end < 0) return;
            knobs = KnobPath.Parse(text[..end], ';', knobs);
            text = text[(end + 1)..];
        }
    }

    private static void Walk(JsonElement element, ref Dictionary<string, string>? knobs)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                if (JsonMarshal.GetRawUtf8Value(element).IndexOf("[sim:"u8) >= 0) Read(element.GetString(), ref knobs);
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray()) Walk(item, ref knobs);
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject()) Walk(property.Value, ref knobs);
                break;
        }
    }
}
