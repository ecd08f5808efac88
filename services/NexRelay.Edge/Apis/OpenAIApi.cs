using NexRelay.Edge.Docs;
using NexRelay.Edge.Relay;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Apis;

/// <summary>The OpenAI-compatible surface, under <c>/api/v1</c> (our published reference) and <c>/v1</c> (what many tools assume).</summary>
internal static class OpenAIApi
{
    public static IEndpointRouteBuilder MapOpenAIApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in new[] { "/api/v1", "/v1" })
        {
            var group = app.MapGroup(prefix).WithTags("OpenAI");
            group.MapPost("/chat/completions", (HttpContext http, RelayHandler relay) => relay.HandleAsync(http, null, null))
                .WithName($"ChatCompletions{Suffix(prefix)}").Speaks(ClientFormat.OpenAIChat).RequireKey(recordRefusals: true)
                .WithApiDoc(PublicApiDocs.ChatCompletion, prefix == "/v1" ? "V1" : "");
            group.MapPost("/responses", (HttpContext http, RelayHandler relay) => relay.HandleAsync(http, null, null))
                .WithName($"Responses{Suffix(prefix)}").Speaks(ClientFormat.OpenAIResponses).RequireKey(recordRefusals: true)
                .WithApiDoc(PublicApiDocs.Response, prefix == "/v1" ? "V1" : "");
        }
        // GET /api/v1/models is OpenAI-only; GET /v1/models is shared with Gemini and answered by ModelsApi.
        return app;
    }

    internal static string Suffix(string prefix) => prefix.Replace("/", "_");
}
