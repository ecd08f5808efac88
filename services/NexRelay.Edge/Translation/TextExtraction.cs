namespace NexRelay.Edge.Translation;

/// <summary>All the input text of a request, for the input-token upper estimate, and its image count.</summary>
public static class TextExtraction
{
    /// <summary>System text, message text, tool definitions (name, description, schema JSON), tool-call arguments and results, reasoning.</summary>
    public static IEnumerable<string> EnumerateInputText(ChatRequest request)
    {
        foreach (var part in request.System)
        {
            if (PartText(part) is { } text) yield return text;
        }
        foreach (var message in request.Messages)
        {
            foreach (var part in message.Parts)
            {
                if (part is ToolCallPart call)
                {
                    yield return call.Name;
                    yield return call.ArgumentsJson;
                }
                else if (PartText(part) is { } text)
                {
                    yield return text;
                }
            }
        }
        foreach (var tool in request.Tools)
        {
            yield return tool.Name;
            if (tool.Description is not null) yield return tool.Description;
            if (tool.ParametersSchema is not null) yield return tool.ParametersSchema.ToJsonString();
        }
        if (request.ResponseFormat?.Schema is { } schema) yield return schema.ToJsonString();
        foreach (var stop in request.Stop) yield return stop;
    }

    public static int CountImages(ChatRequest request) =>
        request.Messages.Sum(m => m.Parts.Sum(p => p switch { ImagePart => 1, ToolResultPart r => r.ImageCount, _ => 0 }))
        + request.System.Count(p => p is ImagePart);

    private static string? PartText(ContentPart part) => part switch
    {
        TextPart t => t.Text,
        ReasoningPart r => r.Text,
        ToolResultPart r => r.Content,
        _ => null,
    };
}
