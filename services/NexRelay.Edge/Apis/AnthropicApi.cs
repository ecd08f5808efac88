using NexRelay.Edge.Docs;
using NexRelay.Edge.Relay;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Apis;

/// <summary>The Claude-compatible surface: <c>/v1/messages</c> (what the Anthropic SDKs call) and <c>/api/v1/messages</c>.</summary>
internal static class AnthropicApi
{
    public static IEndpointRouteBuilder MapAnthropicApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in new[] { "/v1", "/api/v1" })
        {
            var group = app.MapGroup(prefix).WithTags("Anthropic").Speaks(ClientFormat.Anthropic);
            group.MapPost("/messages", (HttpContext http, RelayHandler relay) => relay.HandleAsync(http, null, null))
                .WithName($"Messages{OpenAIApi.Suffix(prefix)}").RequireKey(recordRefusals: true)
                .WithApiDoc(PublicApiDocs.Message, prefix == "/api/v1" ? "Api" : "");
            group.MapPost("/messages/count_tokens", (HttpContext http, TokenCountHandler counter) => counter.HandleAsync(http, null))
                .WithName($"CountTokens{OpenAIApi.Suffix(prefix)}").RequireKey()
                .WithApiDoc(PublicApiDocs.CountMessageTokens, prefix == "/api/v1" ? "Api" : "");
        }
        return app;
    }
}
