using System.Text.Json;
using System.Text.Json.Nodes;

namespace NexRelay.Edge.Translation;

internal static class ToolArguments
{
    /// <summary>
    /// Anthropic and Gemini want tool input as an object; arguments that are not a JSON object are wrapped rather than lost.
    /// </summary>
    public static JsonNode AsObject(string json)
    {
        if (string.IsNullOrWhiteSpace(json)) return new JsonObject();
        try
        {
            return JsonNode.Parse(json) as JsonObject ?? new JsonObject { ["value"] = JsonNode.Parse(json) };
        }
        catch (JsonException)
        {
            return new JsonObject { ["_raw_arguments"] = json };
        }
    }
}
