using System.Text.Json;
using System.Text.Json.Nodes;

namespace NexRelay.Edge.Translation.Gemini;

/// <summary>
/// <c>models/{m}:countTokens</c>: a GenerateContent request, bare or wrapped as <c>{"generateContentRequest":{…}}</c>; answers
/// <c>{"totalTokens":n}</c>.
/// </summary>
internal sealed class GeminiTokenCount(GeminiFormat generateContent) : ITokenCountShape
{

    public ChatRequest ParseRequest(JsonObject body, string? routeModel)
    {
        if (body["generateContentRequest"] is JsonObject inner) body = (JsonObject)inner.DeepClone();
        return generateContent.ParseRequest(body, routeModel, false);
    }

    public void WriteAnswer(Utf8JsonWriter json, long inputTokens)
    {
        json.WriteStartObject();
        json.WriteNumber("totalTokens", inputTokens);
        json.WriteEndObject();
    }
}
