using NexRelay.Edge.Catalog;

namespace NexRelay.Edge.Relay;

/// <summary>
/// What a caller may read of an upstream's error. The upstream's own words on a 4xx pass ("context length exceeded" is the
/// caller's to fix), with the provider's API key taken out should they echo it. A 401 or 403 is about NexRelay's credential,
/// not the caller's key (OpenAI's names the key it was given), and a 5xx body is the upstream's internals: of those the
/// caller reads the status only, and the words go to the edge's log.
/// </summary>
internal static class UpstreamErrorText
{
    /// <summary>Shorter keys are not searched for: replacing a two-letter "key" would garble any message.</summary>
    private const int MinRedactedKeyLength = 8;

    public static bool IsCredentialRefusal(int status) => status is 401 or 403;

    /// <summary>The message of an upstream's 4xx refusal, as the caller sees it.</summary>
    public static string Refusal(int status, string? upstreamMessage, Provider provider)
    {
        if (IsCredentialRefusal(status))
        {
            return $"The upstream refused the gateway's own credentials (HTTP {status}): a NexRelay configuration problem, not your API key.";
        }
        return "Upstream: " + (Redact(upstreamMessage, provider) ?? $"The upstream refused the request ({status}).");
    }

    /// <summary>The message with the provider's API key replaced, for the caller and for the log alike.</summary>
    public static string? Redact(string? message, Provider provider) =>
        message is not null && provider.ApiKey is { Length: >= MinRedactedKeyLength } key
            ? message.Replace(key, "[redacted]", StringComparison.Ordinal)
            : message;

    /// <summary>What the caller reads of an upstream's 5xx (or 408/429): its status, not its body.</summary>
    public static string ServerError(int status) => $"the upstream answered HTTP {status}.";
}
