using NexRelay.Edge.Translation.Clients;
using NexRelay.Edge.Translation.Upstreams;

namespace NexRelay.Edge.Translation;

/// <summary>The stateless format adapters, one singleton each; per-response state lives in stream writers and parsers.</summary>
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
}
