using NexRelay.Edge.Translation.Anthropic;
using NexRelay.Edge.Translation.Gemini;
using NexRelay.Edge.Translation.OpenAI;

namespace NexRelay.Edge.Translation;

/// <summary>
/// The stateless format adapters, one singleton each (per-response state lives in stream writers and parsers), and the
/// guesses at a caller's format where no route names it.
/// </summary>
public static class FormatRegistry
{
    private static readonly IClientFormat OpenAIChat = new OpenAIChatFormat();
    private static readonly IClientFormat OpenAIResponses = new OpenAIResponsesFormat();
    private static readonly IClientFormat Anthropic = new AnthropicFormat();
    private static readonly IClientFormat Gemini = new GeminiFormat();
    private static readonly IUpstreamFormat OpenAIUpstream = new OpenAIUpstream();
    private static readonly IUpstreamFormat AnthropicUpstream = new AnthropicUpstream();
    private static readonly IUpstreamFormat GeminiUpstream = new GeminiUpstream();

    public static IClientFormat Client(ClientFormat format) => format switch
    {
        ClientFormat.OpenAIChat => OpenAIChat,
        ClientFormat.OpenAIResponses => OpenAIResponses,
        ClientFormat.Anthropic => Anthropic,
        ClientFormat.Gemini => Gemini,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    public static IUpstreamFormat Upstream(UpstreamKind kind) => kind switch
    {
        UpstreamKind.OpenAI => OpenAIUpstream,
        UpstreamKind.Anthropic => AnthropicUpstream,
        UpstreamKind.Gemini => GeminiUpstream,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>
    /// A route OpenAI, Anthropic and Gemini clients all call (<c>/v1/models</c>): Gemini's when the caller authenticates
    /// Google-style (<c>x-goog-api-key</c> or <c>?key=</c>), Anthropic's when it sends <c>anthropic-version</c> (every Anthropic
    /// SDK and Claude Code do), else OpenAI's.
    /// </summary>
    public static IClientFormat ByCredentials(HttpRequest request) =>
        SendsGoogleKey(request) ? Gemini : request.Headers.ContainsKey("anthropic-version") ? Anthropic : OpenAIChat;

    /// <summary>
    /// The API a path that matched no route belongs to: Gemini under <c>/v1beta</c> or with a Google custom method
    /// (<c>…:method</c>), Anthropic under <c>messages</c>; otherwise the credentials' header says who is calling, as for
    /// <c>/v1/models</c>; else OpenAI's.
    /// </summary>
    public static IClientFormat ForUnmatchedPath(HttpRequest request)
    {
        var path = request.Path.Value ?? "";
        if (path.StartsWith("/v1beta", StringComparison.Ordinal) || path.Contains(':', StringComparison.Ordinal)) return Gemini;
        if (path.StartsWith("/v1/messages", StringComparison.Ordinal) || path.StartsWith("/api/v1/messages", StringComparison.Ordinal)) return Anthropic;
        if (SendsGoogleKey(request)) return Gemini;
        if (request.Headers.ContainsKey("x-api-key") || request.Headers.ContainsKey("anthropic-version")) return Anthropic;
        return OpenAIChat;
    }

    private static bool SendsGoogleKey(HttpRequest request) => request.Headers.ContainsKey("x-goog-api-key") || request.Query.ContainsKey("key");
}
