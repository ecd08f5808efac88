using System.Text.Json;
using System.Text.Json.Nodes;

namespace NexRelay.Edge.Translation.Anthropic;

/// <summary><c>POST /v1/messages/count_tokens</c>: a Messages request without <c>max_tokens</c>; answers <c>{"input_tokens":n}</c>.</summary>
internal sealed class AnthropicTokenCount(AnthropicFormat messages) : ITokenCountShape
{

    public ChatRequest ParseRequest(JsonObject body, string? routeModel)
    {
        if (!body.ContainsKey("max_tokens")) body["max_tokens"] = 1; // not required by count_tokens
        return messages.ParseRequest(body, routeModel, null);
    }

    public void WriteAnswer(Utf8JsonWriter json, long inputTokens)
    {
        json.WriteStartObject();
        json.WriteNumber("input_tokens", inputTokens);
        json.WriteEndObject();
    }
}
