using NexRelay.Edge.Docs;
using NexRelay.Edge.Relay;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Apis;

/// <summary>
/// The Gemini surface under <c>/v1beta</c> and <c>/v1</c> (the current Google Gen AI SDK defaults to v1). Google's
/// custom-method paths (<c>models/{model}:generateContent</c>) are one segment, so the method is split off here.
/// </summary>
internal static class GeminiApi
{
    public static IEndpointRouteBuilder MapGeminiApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in new[] { "/v1beta", "/v1" })
        {
            app.MapPost(prefix + "/models/{modelAndMethod}", (HttpContext http, string modelAndMethod, RelayHandler relay, TokenCountHandler counter) =>
            {
                var colon = modelAndMethod.LastIndexOf(':');
                var model = colon > 0 ? modelAndMethod[..colon] : modelAndMethod;
                return (colon > 0 ? modelAndMethod[(colon + 1)..] : "") switch
                {
                    "generateContent" => relay.HandleAsync(http, ClientFormat.Gemini, model, false),
                    "streamGenerateContent" => relay.HandleAsync(http, ClientFormat.Gemini, model, true),
                    "countTokens" => counter.HandleAsync(http, ClientFormat.Gemini, model),
                    var method => ModelsApi.WriteErrorAsync(http, ClientFormat.Gemini, Errors.EdgeError.BadRequest(
                        $"Unknown method '{method}': use generateContent, streamGenerateContent or countTokens.", code: "unknown_method")
                        with { Kind = Errors.ErrorKind.NotFound }),
                };
            }).WithTags("Gemini").WithName($"GenerateContent{OpenAIApi.Suffix(prefix)}")
            .WithApiDocs(prefix == "/v1" ? "V1" : "", PublicApiDocs.GenerateContent, PublicApiDocs.StreamGenerateContent, PublicApiDocs.CountGeminiTokens);
        }
        return app;
    }
}
