namespace NexRelay.Edge.Translation;

/// <summary>Response and tool-call ids in each format's own shape (chatcmpl-, resp_, msg_, call_, toolu_).</summary>
internal static class Ids
{
    public static string New(string prefix) => prefix + Guid.NewGuid().ToString("N")[..24];

    /// <summary>Keeps an id that already has the format's prefix; otherwise prefixes it (when safe) so it still correlates.</summary>
    public static string Ensure(string prefix, string? id)
    {
        if (string.IsNullOrEmpty(id)) return New(prefix);
        if (id.StartsWith(prefix, StringComparison.Ordinal)) return id;
        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-') return New(prefix);
        }
        return prefix + id;
    }

    /// <summary>A response id for a request id (<c>req_…</c>): <paramref name="prefix"/> on the request id's random part.</summary>
    public static string ForRequest(string prefix, string requestId) => string.Concat(prefix, requestId.AsSpan(requestId.IndexOf('_') + 1));

    public static long UnixNow() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}

/// <summary>Images travel as URLs or base64 with a media type; data: URLs are split into the latter.</summary>
internal static class ImageUrls
{
    public static ImagePart FromUrl(string url)
    {
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var comma = url.IndexOf(',');
            var meta = comma > 5 ? url[5..comma] : "";
            if (comma > 0 && meta.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            {
                return new ImagePart(null, meta[..^7], url[(comma + 1)..]);
            }
        }
        return new ImagePart(url, null, null);
    }

    public static string ToUrl(ImagePart image) =>
        image.Url ?? $"data:{image.MediaType ?? "image/png"};base64,{image.Base64Data}";

    /// <summary>A best-effort media type from a URL's extension (Gemini fileData wants one).</summary>
    public static string GuessMediaType(string url)
    {
        var path = url.Split('?', '#')[0];
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jpg" or ".jpeg" => "image/jpeg",
            ".gif" => "image/gif",
            ".webp" => "image/webp",
            ".heic" => "image/heic",
            ".pdf" => "application/pdf",
            _ => "image/png",
        };
    }
}
