using System.Text.Json.Nodes;
using static NexRelay.Edge.Translation.RequestReader;

namespace NexRelay.Edge.Translation.Anthropic;

/// <summary>Messages API fields Anthropic bills beyond the held tokens: refused before any hold (see <see cref="Unpriced"/>).</summary>
public sealed partial class AnthropicFormat
{
    private static void RefuseUnpriced(JsonObject body)
    {
        // 'auto' is Anthropic's default (omitting the field means 'auto'): Priority Tier capacity is used only when the
        // operator's own organisation holds a Priority Tier commitment, which it has already bought; otherwise standard.
        // 'standard_only' never leaves the standard tier. Anything else is not a tier NexRelay knows the price of.
        Unpriced.AllowOnly(Get(body, "service_tier"), "service_tier", "the service tier", StringComparer.Ordinal, "auto", "standard_only");
        // Fast mode bills a multiple of the standard rates.
        Unpriced.AllowOnly(Get(body, "speed"), "speed", "the speed", StringComparer.Ordinal, "standard");
        // US-only inference bills 1.1x the standard rates on the models that support it; 'global' is the default.
        Unpriced.AllowOnly(Get(body, "inference_geo"), "inference_geo", "the inference geography", StringComparer.Ordinal, "global");
        // Remote MCP tool lists and results are input the hold never sees.
        if (Get(body, "mcp_servers") is { } servers && servers is not JsonArray { Count: 0 })
        {
            throw Unpriced.Refuse("mcp_servers", "remote MCP servers (their tool lists and results are input the hold cannot see)");
        }
        // A code-execution container is billed by the hour beyond tokens.
        Unpriced.Absent(body, "container", "container", "code-execution containers");
        // Server-side retries on substitute models run at those models' prices.
        if (Get(body, "fallbacks") is { } fallbacks && fallbacks is not JsonArray { Count: 0 })
        {
            throw Unpriced.Refuse("fallbacks", "fallback models");
        }
    }

    /// <summary>Anthropic's server tools, billed per use on top of tokens. Other non-custom tools keep the plain refusal.</summary>
    private static RequestValidationException? UnpricedTool(string type, string param) =>
        type.StartsWith("web_search_", StringComparison.Ordinal) || type.StartsWith("web_fetch_", StringComparison.Ordinal)
        || type.StartsWith("code_execution_", StringComparison.Ordinal) || type.StartsWith("tool_search_tool_", StringComparison.Ordinal)
        || type == "mcp_toolset"
            ? Unpriced.Refuse(param, $"the server tool '{type}'")
            : null;

    /// <summary>Documents are billed by their pages and extracted text, which the hold cannot estimate; refused wherever they appear.</summary>
    private static RequestValidationException? UnpricedBlock(string type, string param) =>
        type == "document" ? Unpriced.Refuse(param, "document (PDF) input") : null;

    /// <summary>
    /// A tool result's blocks: text is counted, images are held like any image; documents are refused like elsewhere, and
    /// search results (text the hold does not count) too.
    /// </summary>
    private static void RefuseUnpricedToolResult(JsonNode? content, string p)
    {
        if (content is not JsonArray blocks) return;
        for (var i = 0; i < blocks.Count; i++)
        {
            if (blocks[i] is not JsonObject block || Get(block, "type") is not { } typeNode) continue;
            var type = AsString(typeNode, $"{p}[{i}].type");
            if (UnpricedBlock(type, $"{p}[{i}].type") is { } refusal) throw refusal;
            if (type == "search_result") throw Unpriced.Refuse($"{p}[{i}].type", "search results inside tool results");
        }
    }
}
