using System.Text.Json;

namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>The one simulated tool call: fixed arguments (or, for a freeform tool, fixed raw text), streamed in several pieces.</summary>
internal static class ToolCall
{
    public const string Trigger = "use_tool";
    public const int OutputTokens = 10;

    public const string Arguments = """{"city":"Paris","days":3}""";

    /// <summary>The arguments JSON split so that a client must reassemble it.</summary>
    public static readonly string[] ArgumentChunks = ["""{"city":""", "\"Paris\"", ""","days":""", "3}"];

    /// <summary>
    /// The raw text a freeform tool (a Responses <c>custom</c> tool) is called with: a patch in the grammar coding agents give
    /// their <c>apply_patch</c> tool, with newlines and quotes, so a gateway that wraps it in JSON or re-escapes it shows.
    /// </summary>
    public const string Input = "*** Begin Patch\n*** Add File: paris.txt\n+\"Paris\", 3 days\n*** End Patch\n";

    /// <summary>The raw text split so that a client must reassemble it.</summary>
    public static readonly string[] InputChunks = ["*** Begin Patch\n", "*** Add File: paris.txt\n", "+\"Paris\", 3 days\n", "*** End Patch\n"];

    /// <summary>Writes the arguments as a JSON object (Anthropic <c>input</c>, Gemini <c>args</c>).</summary>
    public static void WriteArgumentsObject(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("city"u8, "Paris"u8);
        writer.WriteNumber("days"u8, 3);
        writer.WriteEndObject();
    }
}
