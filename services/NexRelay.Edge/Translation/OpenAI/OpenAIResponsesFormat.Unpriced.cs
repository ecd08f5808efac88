using System.Text.Json.Nodes;

namespace NexRelay.Edge.Translation.OpenAI;

/// <summary>
/// Responses fields OpenAI bills beyond the held tokens, refused with the reason so a caller never pays for a tier it did not
/// get or is billed for input the hold could not count. Hosted tools billed per call are dropped instead, named in
/// <c>x-nexrelay-dropped-tools</c> (<see cref="ResponsesTools.BilledPerCall"/>).
/// </summary>
public sealed partial class OpenAIResponsesFormat
{
    private static void RefuseUnpriced(JsonObject body) => OpenAIChatFormat.RefuseServiceTier(body);

    /// <summary>Content the upstream bills by its own rules: files by their pages, audio by its length.</summary>
    private static RequestValidationException? UnpricedContent(string type, string param) => type switch
    {
        "input_file" => Unpriced.Refuse(param, "file input (PDF)"),
        "input_audio" => Unpriced.Refuse(param, "audio input"),
        _ => null,
    };
}
