using System.Text.Json.Nodes;

namespace NexRelay.Edge.Translation;

/// <summary>
/// Refusals of request fields an upstream bills beyond the tokens the hold covers (a dearer service tier, hosted tools, audio
/// or image output, media other than images). Forwarded unpriced, their cost above the hold would be cut at settlement and
/// fall on the operator, so each client format refuses its own in <see cref="IClientFormat.ParseRequest"/>: a 400 naming the
/// field, before any hold or upstream call. The list per format is in the README ("Fields NexRelay refuses").
/// </summary>
internal static class Unpriced
{
    /// <summary>"'<paramref name="param"/>': NexRelay does not price <paramref name="what"/> yet; <paramref name="remedy"/>."</summary>
    public static RequestValidationException Refuse(string param, string what, string remedy = "remove it") =>
        new($"'{param}': NexRelay does not price {what} yet; {remedy}.", param);

    /// <summary>An optional string field may be absent or take one of the values that cost nothing extra; any other value is refused.</summary>
    public static void AllowOnly(JsonNode? node, string param, string what, StringComparer comparer, params string[] allowed)
    {
        if (node is null) return;
        var value = RequestReader.AsString(node, param);
        if (!allowed.Contains(value, comparer))
        {
            throw Refuse(param, $"{what} '{value}'", "remove it or send " + string.Join(" or ", allowed.Select(a => $"'{a}'")));
        }
    }

    /// <summary>A field that must be absent (JSON null counts as absent, as everywhere in request parsing).</summary>
    public static void Absent(JsonObject o, string name, string param, string what, string remedy = "remove it")
    {
        if (RequestReader.Get(o, name) is not null) throw Refuse(param, what, remedy);
    }

    /// <summary>
    /// Media by IANA type: images are held for like every image (<see cref="TextExtraction.CountImages"/>); anything else
    /// (video and audio are billed by the second, PDFs by the page) is described for the refusal. Null: an image.
    /// </summary>
    public static string? NonImageMedia(string mimeType) =>
        mimeType.StartsWith("image/", StringComparison.OrdinalIgnoreCase) ? null
        : mimeType.StartsWith("video/", StringComparison.OrdinalIgnoreCase) ? $"video input ('{mimeType}')"
        : mimeType.StartsWith("audio/", StringComparison.OrdinalIgnoreCase) ? $"audio input ('{mimeType}')"
        : mimeType.Equals("application/pdf", StringComparison.OrdinalIgnoreCase) ? "PDF input"
        : $"'{mimeType}' input";
}
