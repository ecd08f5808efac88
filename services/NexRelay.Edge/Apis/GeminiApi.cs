using NexRelay.Edge.Docs;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Relay;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Apis;

/// <summary>
/// The Gemini surface under <c>/v1beta</c> and <c>/v1</c> (the current Google Gen AI SDK defaults to v1). Google's custom
/// methods (<c>models/{model}:generateContent</c>) are routes of their own; any other method on a model is a Gemini 404.
/// </summary>
internal static class GeminiApi
{
    public static IEndpointRouteBuilder MapGeminiApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in new[] { "/v1beta", "/v1" })
        {
            var group = app.MapGroup(prefix + "/models").WithTags("Gemini").Speaks(ClientFormat.Gemini);
            var suffix = OpenAIApi.Suffix(prefix);
            var docSuffix = prefix == "/v1" ? "V1" : "";
            group.MapPost("/{model}:generateContent", (HttpContext http, string model, RelayHandler relay) => relay.HandleAsync(http, model, false))
                .WithName($"GenerateContent{suffix}").RequireKey(recordRefusals: true)
                .WithApiDoc(PublicApiDocs.GenerateContent, docSuffix);
            group.MapPost("/{model}:streamGenerateContent", (HttpContext http, string model, RelayHandler relay) => relay.HandleAsync(http, model, true))
                .WithName($"StreamGenerateContent{suffix}").RequireKey(recordRefusals: true)
                .WithApiDoc(PublicApiDocs.StreamGenerateContent, docSuffix);
            group.MapPost("/{model}:countTokens", (HttpContext http, string model, TokenCountHandler counter) => counter.HandleAsync(http, model))
                .WithName($"CountGeminiTokens{suffix}").RequireKey()
                .WithApiDoc(PublicApiDocs.CountGeminiTokens, docSuffix);
            // Any other method is refused before the key is read, as Google does (no key needed to learn a method does not exist).
            group.MapPost("/{modelAndMethod}", (HttpContext http, string modelAndMethod) =>
            {
                var colon = modelAndMethod.LastIndexOf(':');
                var method = colon > 0 ? modelAndMethod[(colon + 1)..] : "";
                return ErrorWriters.WriteAsync(http, http.ClientFormat(), EdgeError.BadRequest(
                    $"Unknown method '{method}': use generateContent, streamGenerateContent or countTokens.", code: "unknown_method")
                    with { Kind = ErrorKind.NotFound });
            }).WithName($"UnknownGeminiMethod{suffix}").ExcludeFromDescription();
        }
        return app;
    }
}
