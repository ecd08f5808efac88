using System.Text.Json.Nodes;
using static NexRelay.Edge.Translation.RequestReader;

namespace NexRelay.Edge.Translation.Gemini;

/// <summary>
/// generateContent fields Google bills beyond the held tokens: refused before any hold (see <see cref="Unpriced"/>). Enum
/// values are compared ignoring case: Google's own samples send both "flex" and "SERVICE_TIER_FLEX" spellings.
/// </summary>
public sealed partial class GeminiFormat
{
    private static void RefuseUnpriced(JsonObject body)
    {
        // Cached tokens are billed (with storage) though they are not in the body, so the hold cannot count them.
        Unpriced.Absent(body, "cachedContent", "cachedContent", "cached content (its tokens are not in the request)");
        Unpriced.Absent(body, "cached_content", "cached_content", "cached content (its tokens are not in the request)");
        // Flex and priority bill other prices than the catalog's standard ones.
        Unpriced.AllowOnly(Get(body, "serviceTier", "service_tier"), "serviceTier", "the service tier",
            StringComparer.OrdinalIgnoreCase, "standard", "SERVICE_TIER_STANDARD", "SERVICE_TIER_UNSPECIFIED");
        if (Get(body, "generationConfig", "generation_config") is JsonObject gc) RefuseUnpricedGeneration(gc);
    }

    private static void RefuseUnpricedGeneration(JsonObject gc)
    {
        const string p = "generationConfig";
        if (Get(gc, "responseModalities", "response_modalities") is { } node)
        {
            var modalities = node as JsonArray ?? throw Invalid($"{p}.responseModalities", "an array");
            for (var i = 0; i < modalities.Count; i++)
            {
                var modality = AsString(modalities[i] ?? throw Invalid($"{p}.responseModalities[{i}]", "a string"), $"{p}.responseModalities[{i}]");
                // MODALITY_UNSPECIFIED "will be processed as text".
                if (!modality.Equals("TEXT", StringComparison.OrdinalIgnoreCase) && !modality.Equals("MODALITY_UNSPECIFIED", StringComparison.OrdinalIgnoreCase))
                {
                    throw Unpriced.Refuse($"{p}.responseModalities", $"{modality} output", "remove it or ask for [\"TEXT\"]");
                }
            }
        }
        Unpriced.Absent(gc, Key(gc, "speechConfig", "speech_config"), $"{p}.speechConfig", "speech output");
        Unpriced.Absent(gc, Key(gc, "imageConfig", "image_config"), $"{p}.imageConfig", "image output");
        RefuseUltraHighResolution(Get(gc, "mediaResolution", "media_resolution"), $"{p}.mediaResolution");
    }

    /// <summary>
    /// Media parts (contents, function responses): images are held like any image; video and audio (billed by the second),
    /// PDFs (by the page) and other files are refused, and so are YouTube links, which are videos whatever their declared type.
    /// A file without a declared type cannot be told from a video, so it is refused too.
    /// </summary>
    private static void RefuseUnpricedMedia(JsonObject part, string p)
    {
        if (Get(part, "inlineData", "inline_data") is JsonObject inline)
        {
            var mime = RequiredString(inline, Key(inline, "mimeType", "mime_type"), $"{p}.inlineData.mimeType");
            if (Unpriced.NonImageMedia(mime) is { } what) throw Unpriced.Refuse($"{p}.inlineData.mimeType", what);
        }
        else if (Get(part, "fileData", "file_data") is JsonObject file)
        {
            var uri = RequiredString(file, Key(file, "fileUri", "file_uri"), $"{p}.fileData.fileUri");
            if (IsYouTube(uri)) throw Unpriced.Refuse($"{p}.fileData.fileUri", "YouTube video input");
            var mime = OptionalString(file, Key(file, "mimeType", "mime_type"), $"{p}.fileData.mimeType")
                ?? throw Unpriced.Refuse($"{p}.fileData.mimeType", "files of undeclared type", "declare an image/* mimeType or remove it");
            if (Unpriced.NonImageMedia(mime) is { } what) throw Unpriced.Refuse($"{p}.fileData.mimeType", what);
        }
        switch (Get(part, "mediaResolution", "media_resolution"))
        {
            case null:
                break;
            case JsonObject r:
                RefuseUltraHighResolution(Get(r, "level"), $"{p}.mediaResolution.level");
                // An explicit token count per image can exceed what the hold allows for one image.
                Unpriced.Absent(r, Key(r, "numTokens", "num_tokens"), $"{p}.mediaResolution.numTokens", "a chosen number of tokens per image");
                break;
            case var level: // the bare enum, as the global setting takes it
                RefuseUltraHighResolution(level, $"{p}.mediaResolution");
                break;
        }
    }

    /// <summary>Ultra-high resolution spends more tokens on one image than the hold allows for it; low to high stay within it.</summary>
    private static void RefuseUltraHighResolution(JsonNode? level, string param)
    {
        if (level is not null && AsString(level, param).Equals("MEDIA_RESOLUTION_ULTRA_HIGH", StringComparison.OrdinalIgnoreCase))
        {
            throw Unpriced.Refuse(param, "ultra-high media resolution", "use MEDIA_RESOLUTION_HIGH or lower");
        }
    }

    private static bool IsYouTube(string uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var u)
        && (u.Host.Equals("youtu.be", StringComparison.OrdinalIgnoreCase)
            || u.Host.Equals("youtube.com", StringComparison.OrdinalIgnoreCase)
            || u.Host.EndsWith(".youtube.com", StringComparison.OrdinalIgnoreCase));

    /// <summary>Google's server tools, billed per grounded prompt, container or query. Other tools keep the plain refusal.</summary>
    private static RequestValidationException? UnpricedTool(string key, string param) => key switch
    {
        "googleSearch" or "google_search" or "googleSearchRetrieval" or "google_search_retrieval" or "codeExecution" or "code_execution"
            or "urlContext" or "url_context" or "googleMaps" or "google_maps" or "fileSearch" or "file_search" or "computerUse"
            or "computer_use" or "enterpriseWebSearch" or "enterprise_web_search"
            => Unpriced.Refuse(param, $"Google's server tool '{key}'"),
        _ => null,
    };
}
