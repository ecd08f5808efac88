using System.Text.Json;
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
    /// <summary>Counts for an admitted key (the route <see cref="KeyAdmission.RequireKey{TBuilder}"/>).</summary>
    public async Task HandleAsync(HttpContext http, string? routeModel)
    {
        var format = http.ClientFormat();
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

    private async Task<EdgeError?> CountAsync(HttpContext http, IClientFormat format, string? routeModel)
    {
        var ct = http.RequestAborted;
        var shape = format.TokenCount ?? throw new InvalidOperationException($"{format.WireName} has no count-tokens route.");
        var key = http.AdmittedKey();
        if (await gate.CheckRateAsync(http, key, ct) is { } rateError) return rateError;
        if (await funds.CheckAsync(key, ct) is { } fundsError) return fundsError;

        var (parsed, bodyError) = await JsonBodyReader.ReadAsync(http.Request, options.Value.MaxRequestBodyBytes, ct);
        if (bodyError is not null) return bodyError;
        ChatRequest request;
        try
        {
            request = shape.ParseRequest(parsed!, routeModel);
        }
        catch (RequestValidationException ex)
        {
            return EdgeError.BadRequest(ex.Message, ex.Param);
        }
        if (!catalog.TryGet(request.Model, out _) || !gate.ModelAllowed(key, request.Model)) return EdgeError.UnknownModel(request.Model);

        var count = tokens.CountInput(TextExtraction.EnumerateInputText(request), request.Messages.Count + 1, TextExtraction.CountImages(request));
        http.Response.ContentType = "application/json";
        await using (var json = new Utf8JsonWriter(http.Response.BodyWriter)) shape.WriteAnswer(json, count);
        await http.Response.BodyWriter.FlushAsync(ct);
        return null;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure while counting tokens")]
    private static partial void LogUnexpected(ILogger logger, Exception ex);
}
