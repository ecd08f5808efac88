using Microsoft.Extensions.Primitives;

namespace NexRelay.Edge.Keys;

/// <summary>Which header (or query parameter) carried the key: decides nothing, but tells which client family is calling.</summary>
internal enum KeySource
{
    /// <summary><c>Authorization: Bearer</c> (OpenAI clients).</summary>
    Bearer,
    /// <summary><c>x-api-key</c> (Anthropic clients).</summary>
    XApiKey,
    /// <summary><c>x-goog-api-key</c> or <c>?key=</c> (Gemini clients).</summary>
    Google,
}

internal readonly record struct PresentedKey(string Key, KeySource Source);

/// <summary>Finds the key a caller presented, in the places the three client families put it.</summary>
internal static class KeyExtraction
{
    /// <summary>The first non-empty of: <c>Authorization: Bearer</c>, <c>x-api-key</c>, <c>x-goog-api-key</c>, <c>?key=</c>; null when none.</summary>
    public static PresentedKey? Extract(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        if (authorization.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) && authorization[bearer.Length..].Trim() is { Length: > 0 } token)
            return new PresentedKey(token, KeySource.Bearer);
        if (First(request.Headers["x-api-key"]) is { } apiKey) return new PresentedKey(apiKey, KeySource.XApiKey);
        if (First(request.Headers["x-goog-api-key"]) is { } googKey) return new PresentedKey(googKey, KeySource.Google);
        if (First(request.Query["key"]) is { } queryKey) return new PresentedKey(queryKey, KeySource.Google);
        return null;
    }

    private static string? First(StringValues values) => values.Count > 0 && values[0]?.Trim() is { Length: > 0 } v ? v : null;
}
