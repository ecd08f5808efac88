using System.Text.Json;
using System.Text.Json.Nodes;

namespace NexRelay.Chaos.Tests;

/// <summary>What one hostile case got back: the status (0: no answer within the client's timeout), and the body.</summary>
public sealed record HostileAnswer(HostileCase Case, int Status, string? RequestId, string Body, TimeSpan Elapsed, string? Failure, bool TimedOut = false);

/// <summary>Whether an answer to a hostile case is right: a 4xx in the envelope of the API the path belongs to.</summary>
public static class HostileAnswers
{
    /// <summary>Why <paramref name="answer"/> is wrong, or null when it is right.</summary>
    public static string? Violation(HostileAnswer answer)
    {
        var (c, status, body) = (answer.Case, answer.Status, answer.Body);
        if (answer.Failure is not null && !(c.ResetIsRefusal && !answer.TimedOut)) return $"no answer: {answer.Failure}";
        if (answer.Failure is not null) return null;
        if (c.MayAnswer && status is >= 200 and < 300) return null;
        if (status is < 400 or >= 500) return $"{status}, not a 4xx: {Cut(body)}";
        if (body.Length == 0 && KestrelRefusal(c, status)) return null;
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return $"{status} with a body that is not JSON: '{Cut(body)}'";
        }
        return c.Envelope switch
        {
            Envelope.Anthropic => root?["type"]?.GetValue<string>() == "error" && IsText(root["error"]?["type"]) && IsText(root["error"]?["message"])
                ? null : $"{status} not in Anthropic's envelope: {Cut(body)}",
            Envelope.Gemini => root?["error"]?["code"] is JsonValue code && code.GetValueKind() == JsonValueKind.Number && code.GetValue<int>() == status
                               && IsText(root["error"]?["message"]) && IsText(root["error"]?["status"])
                ? null : $"{status} not in Google's envelope: {Cut(body)}",
            _ => root?["error"] is JsonObject error && IsText(error["message"]) && IsText(error["type"])
                ? null : $"{status} not in OpenAI's envelope: {Cut(body)}",
        };
    }

    /// <summary>
    /// Refusals Kestrel makes before any route runs, which carry no body: 431 (1 MB of headers), 414 (a request line past
    /// 8 KB) and 400 for a NUL in the path. Nothing of NexRelay's ran, so no envelope could be chosen.
    /// </summary>
    private static bool KestrelRefusal(HostileCase c, int status) =>
        status is 431 or 414 || status == 400 && c.Path.Contains("%00", StringComparison.Ordinal);

    private static bool IsText(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length > 0;

    private static string Cut(string text) => text.Length > 200 ? text[..200] + "…" : text;
}
