using System.Text.Json.Nodes;

namespace NexRelay.Edge.Translation.OpenAI;

/// <summary>
/// Responses fields OpenAI bills beyond the held tokens. The format is always translated, so none of them would reach an
/// upstream: they are refused with the reason rather than dropped, so a caller never pays for a tier or tool it did not get.
/// </summary>
public sealed partial class OpenAIResponsesFormat
{
    private static void RefuseUnpriced(JsonObject body) => OpenAIChatFormat.RefuseServiceTier(body);

    /// <summary>
    /// OpenAI's hosted tools, each billed per call, container or image on top of tokens. Other non-function tools (custom,
    /// namespace, local shell …) keep the plain "only function tools" refusal.
    /// </summary>
    private static RequestValidationException? UnpricedTool(string type, string param) => type switch
    {
        _ when type.StartsWith("web_search", StringComparison.Ordinal) => Unpriced.Refuse(param, $"the hosted '{type}' tool (billed per search)"),
        "file_search" => Unpriced.Refuse(param, "the hosted 'file_search' tool (billed per call)"),
        "code_interpreter" => Unpriced.Refuse(param, "the hosted 'code_interpreter' tool (billed per container)"),
        "image_generation" => Unpriced.Refuse(param, "the hosted 'image_generation' tool (billed per image)"),
        "computer_use_preview" or "computer" => Unpriced.Refuse(param, $"the '{type}' tool"),
        "mcp" => Unpriced.Refuse(param, "remote MCP tools (their tool lists and results are input the hold cannot see)"),
        _ => null,
    };

    /// <summary>Content the upstream bills by its own rules: files by their pages, audio by its length.</summary>
    private static RequestValidationException? UnpricedContent(string type, string param) => type switch
    {
        "input_file" => Unpriced.Refuse(param, "file input (PDF)"),
        "input_audio" => Unpriced.Refuse(param, "audio input"),
        _ => null,
    };
}
