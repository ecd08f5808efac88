using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Tokens;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Relay;

/// <summary>
/// Anthropic <c>/v1/messages/count_tokens</c> and Gemini <c>:countTokens</c>, answered by the edge's own tokenizer (o200k_base):
/// no hold, no charge and no upstream call. Counts are close to, not identical with, each vendor's tokenizer. Free is not
/// unlimited: the key's rate limits count these calls as they count generation, and a key with nothing to spend is refused
/// (402), both before the body is read, so a refused key costs no parsing or tokenizing.
/// </summary>
internal sealed partial class TokenCountHandler(KeyGate gate, FundsCheck funds, ModelCatalog catalog, TokenEstimator tokens,
    IOptions<RelayOptions> options, ILogger<TokenCountHandler> logger)
{
    public async Task HandleAsync(HttpContext http, ClientFormat format, string? routeModel)
    {
        try
        {
            if (await CountAsync(http, format, routeModel) is { } error) await ErrorWriters.WriteAsync(http, format, error);
        }
        catch (Exception ex) when (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
        {
            LogUnexpected(logger, ex);
            await ErrorWriters.WriteAsync(http, format, new EdgeError(ErrorKind.UpstreamError, "The gateway failed to count the tokens.", "internal_error",
                StatusOverride: 500));
        }
    }

    private async Task<EdgeError?> CountAsync(HttpContext http, ClientFormat format, string? routeModel)
    {
        var ct = http.RequestAborted;
        var admission = await gate.AuthenticateAsync(http.Request, ct);
        if (admission.Error is not null) return admission.Error;
        var key = admission.Key!;
        if (await gate.CheckRateAsync(http, key, ct) is { } rateError) return rateError;
        if (await funds.CheckAsync(key, ct) is { } fundsError) return fundsError;

        var (parsed, bodyError) = await JsonBodyReader.ReadAsync(http.Request, options.Value.MaxRequestBodyBytes, ct);
        if (bodyError is not null) return bodyError;
        var body = parsed!;
        ChatRequest request;
        try
        {
            if (format == ClientFormat.Anthropic && !body.ContainsKey("max_tokens")) body["max_tokens"] = 1; // not required by count_tokens
            // Gemini countTokens may wrap the request as {"generateContentRequest":{…}}.
            if (format == ClientFormat.Gemini && body["generateContentRequest"] is JsonObject inner) body = (JsonObject)inner.DeepClone();
            request = FormatRegistry.Client(format).ParseRequest(body, routeModel, format == ClientFormat.Gemini ? false : null);
        }
        catch (RequestValidationException ex)
        {
            return EdgeError.BadRequest(ex.Message, ex.Param);
        }
        if (!catalog.TryGet(request.Model, out _) || !gate.ModelAllowed(key, request.Model)) return EdgeError.UnknownModel(request.Model);

        var count = tokens.CountInput(TextExtraction.EnumerateInputText(request), request.Messages.Count + 1, TextExtraction.CountImages(request));
        JsonObject answer = format == ClientFormat.Gemini ? new() { ["totalTokens"] = count } : new() { ["input_tokens"] = count };
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(answer.ToJsonString(), ct);
        return null;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure while counting tokens")]
    private static partial void LogUnexpected(ILogger logger, Exception ex);
}
