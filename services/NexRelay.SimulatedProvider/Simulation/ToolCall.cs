using System.Text.Json;

namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>The one simulated tool call: fixed arguments, streamed in several pieces.</summary>
internal static class ToolCall
{
    public const string Trigger = "use_tool";
    public const int OutputTokens = 10;

    public const string Arguments = """{"city":"Paris","days":3}""";

    /// <summary>The arguments JSON split so that a client must reassemble it.</summary>
    public static readonly string[] ArgumentChunks = ["""{"city":""", "\"Paris\"", ""","days":""", "3}"];

    /// <summary>Writes the arguments as a JSON object (Anthropic <c>input</c>, Gemini <c>args</c>).</summary>
    public static void WriteArgumentsObject(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("city"u8, "Paris"u8);
        writer.WriteNumber("days"u8, 3);
        writer.WriteEndObject();
    }
}
