using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Tokens;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Relay;

/// <summary>
/// Anthropic <c>/v1/messages/count_tokens</c> and Gemini <c>:countTokens</c>, answered by the edge's own tokenizer (o200k_base):
/// free, no hold and no upstream call. Counts are close to, not identical with, each vendor's tokenizer.
/// </summary>
internal sealed class TokenCountHandler(KeyGate gate, ModelCatalog catalog, TokenEstimator tokens, Microsoft.Extensions.Options.IOptions<RelayOptions> options)
{
    public async Task HandleAsync(HttpContext http, ClientFormat format, string? routeModel)
    {
        var ct = http.RequestAborted;
        var admission = await gate.AuthenticateAsync(http.Request, ct);
        if (admission.Error is not null) { await ErrorWriters.WriteAsync(http, format, admission.Error); return; }

        var (parsed, bodyError) = await JsonBodyReader.ReadAsync(http.Request, options.Value.MaxRequestBodyBytes, ct);
        if (bodyError is not null) { await ErrorWriters.WriteAsync(http, format, bodyError); return; }
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
            await ErrorWriters.WriteAsync(http, format, EdgeError.BadRequest(ex.Message, ex.Param));
            return;
        }
        if (!catalog.TryGet(request.Model, out _) || !gate.ModelAllowed(admission.Key!, request.Model))
        {
            await ErrorWriters.WriteAsync(http, format, EdgeError.UnknownModel(request.Model));
            return;
        }
        var count = tokens.CountInput(TextExtraction.EnumerateInputText(request), request.Messages.Count + 1, TextExtraction.CountImages(request));
        JsonObject answer = format == ClientFormat.Gemini ? new() { ["totalTokens"] = count } : new() { ["input_tokens"] = count };
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(answer.ToJsonString(), ct);
    }
}
