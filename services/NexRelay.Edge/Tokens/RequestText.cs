using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Tokens;

/// <summary>Every piece of text a request sends upstream (what input tokens are made of), in order.</summary>
public static class RequestText
{
    public static IEnumerable<string> Of(ChatRequest request)
    {
        foreach (var part in request.System) if (TextOf(part) is { } t) yield return t;
        foreach (var message in request.Messages)
            foreach (var part in message.Parts)
                if (TextOf(part) is { } t) yield return t;
        foreach (var tool in request.Tools)
        {
            yield return tool.Name;
            if (tool.Description is { } d) yield return d;
            if (tool.ParametersSchema is { } s) yield return s.ToJsonString();
        }
        if (request.ResponseFormat?.Schema is { } schema) yield return schema.ToJsonString();
    }

    public static int ImageCount(ChatRequest request) =>
        request.Messages.Sum(m => m.Parts.Count(p => p is ImagePart));

    private static string? TextOf(ContentPart part) => part switch
    {
        TextPart t => t.Text,
        ToolCallPart c => c.Name + " " + c.ArgumentsJson,
        ToolResultPart r => r.Content,
        ReasoningPart r => r.Text,
        _ => null,
    };
}
