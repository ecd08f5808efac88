using System.Text.Json;
using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Apis;

/// <summary>
/// Google Gemini: <c>POST /v1beta/models/{model}:generateContent</c> and <c>:streamGenerateContent</c> (SSE with
/// <c>alt=sse</c>, else a streamed JSON array), also under <c>/v1/</c>.
/// </summary>
internal static class GeminiApi
{
    private static readonly GeminiFormat Format = new();

    public static RouteGroupBuilder MapGeminiApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("Gemini");
        group.MapPost("/v1beta/models/{modelAction}", GenerateContentAsync).WithName("GenerateContent");
        group.MapPost("/v1/models/{modelAction}", GenerateContentAsync).WithName("GenerateContentV1");
        return group;
    }

    public static Task GenerateContentAsync(HttpContext context, string modelAction)
    {
        // The segment is "{model}:{method}"; routing cannot split on ':' inside a segment, so split here.
        var colon = modelAction.LastIndexOf(':');
        var method = colon < 0 ? "" : modelAction[(colon + 1)..];
        var stream = method switch
        {
            "generateContent" => false,
            "streamGenerateContent" => true,
            _ => (bool?)null,
        };
        if (colon <= 0 || stream is null) return Format.NotFoundAsync(context, modelAction);
        var sse = string.Equals(context.Request.Query["alt"].ToString(), "sse", StringComparison.OrdinalIgnoreCase);
        return Format.HandleAsync(context, new RouteInfo(modelAction[..colon], stream, sse));
    }
}

internal sealed class GeminiFormat : WireFormat
{
    protected override SimulatedRequest Parse(JsonElement root, RouteInfo route)
    {
        var contents = JsonRead.RequiredArray(root, "contents", "* GenerateContentRequest.contents: contents is not specified");
        int? limit = null;
        if (JsonRead.TryGetEither(root, "generationConfig", "generation_config", out var config) && config.ValueKind == JsonValueKind.Object)
        {
            limit = JsonRead.OptionalLimit(config, "maxOutputTokens", "generation_config.max_output_tokens")
                ?? JsonRead.OptionalLimit(config, "max_output_tokens", "generation_config.max_output_tokens");
        }

        var words = 0;
        if (JsonRead.TryGetEither(root, "systemInstruction", "system_instruction", out var system) && system.ValueKind == JsonValueKind.Object)
        {
            words += CountParts(system, isUser: false, out _);
        }

        var lastIsTriggeringUser = false;
        foreach (var content in contents.EnumerateArray())
        {
            if (content.ValueKind != JsonValueKind.Object) throw new BadRequestException("* GenerateContentRequest.contents: each content must be an object", "contents");
            // A content without a role is the user's.
            var isUser = !content.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String || role.ValueEquals("user");
            words += CountParts(content, isUser, out var triggers);
            lastIsTriggeringUser = triggers;
        }

        return new SimulatedRequest
        {
            Model = route.Model!,
            Stream = route.Stream == true,
            OutputLimit = limit,
            InputTokens = Math.Max(words, 1),
            ToolName = lastIsTriggeringUser ? FirstToolName(root) : null,
        };
    }

    /// <summary>Words in a content's text parts and function responses (inline data carries none).</summary>
    private static int CountParts(JsonElement content, bool isUser, out bool triggers)
    {
        triggers = false;
        if (!JsonRead.TryGet(content, "parts", out var parts) || parts.ValueKind != JsonValueKind.Array) return 0;
        var words = 0;
        foreach (var part in parts.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object) continue;
            if (part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            {
                words += WordCounter.Count(text);
                triggers |= isUser && WordCounter.Contains(text, ToolCall.Trigger);
            }
            else if (JsonRead.TryGetEither(part, "functionResponse", "function_response", out var functionResponse)
                && functionResponse.ValueKind == JsonValueKind.Object && JsonRead.TryGet(functionResponse, "response", out var response))
            {
                words += WordCounter.CountStrings(response);
            }
        }
        return words;
    }

    private static string? FirstToolName(JsonElement root)
    {
        if (!JsonRead.TryGet(root, "tools", out var tools) || tools.ValueKind != JsonValueKind.Array) return null;
        foreach (var tool in tools.EnumerateArray())
        {
            if (tool.ValueKind == JsonValueKind.Object
                && JsonRead.TryGetEither(tool, "functionDeclarations", "function_declarations", out var declarations)
                && declarations.ValueKind == JsonValueKind.Array)
            {
                foreach (var declaration in declarations.EnumerateArray())
                {
                    return declaration.ValueKind == JsonValueKind.Object && declaration.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                        ? name.GetString()
                        : null;
                }
            }
        }
        return null;
    }

    public async Task NotFoundAsync(HttpContext context, string modelAction)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        context.Response.ContentType = "application/json";
        context.Response.Headers[Knobs.ReceivedMaxTokensHeader] = "none";
        using (var writer = new Utf8JsonWriter(context.Response.BodyWriter, SseWriter.JsonOptions))
        {
            WriteError(writer, 404, $"models/{modelAction} is not found for API version v1beta, or is not supported for generateContent.", null);
        }
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    protected override void WriteError(Utf8JsonWriter w, int status, string message, string? param)
    {
        w.WriteStartObject();
        w.WriteStartObject("error"u8);
        w.WriteNumber("code"u8, status);
        w.WriteString("message"u8, message);
        w.WriteString("status"u8, status switch
        {
            400 => "INVALID_ARGUMENT",
            401 => "UNAUTHENTICATED",
            403 => "PERMISSION_DENIED",
            404 => "NOT_FOUND",
            409 => "ABORTED",
            429 => "RESOURCE_EXHAUSTED",
            499 => "CANCELLED",
            500 => "INTERNAL",
            501 => "UNIMPLEMENTED",
            503 => "UNAVAILABLE",
            504 => "DEADLINE_EXCEEDED",
            >= 500 => "INTERNAL",
            _ => "FAILED_PRECONDITION",
        });
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static ReadOnlySpan<byte> FinishReason(SimulatedRequest request) => request.Truncated ? "MAX_TOKENS"u8 : "STOP"u8;

    protected override void WriteResponse(Utf8JsonWriter w, SimulatedRequest request)
    {
        var responseId = Ids.New("", 22);
        if (request.IsToolCall) WriteChunk(w, request, responseId, PartKind.FunctionCall, [], request.OutputTokens, final: true);
        else WriteChunk(w, request, responseId, PartKind.Text, Vocabulary.Text(request.OutputWords), request.OutputTokens, final: true);
    }

    private enum PartKind { Text, FunctionCall }

    /// <summary>
    /// One GenerateContentResponse; the final one carries finishReason. Each carries usageMetadata with the tokens
    /// <paramref name="outputSoFar"/>, as Gemini's stream chunks report a running count.
    /// </summary>
    private static void WriteChunk(Utf8JsonWriter w, SimulatedRequest request, string responseId, PartKind kind, ReadOnlySpan<byte> text, int outputSoFar, bool final)
    {
        w.WriteStartObject();
        w.WriteStartArray("candidates"u8);
        w.WriteStartObject();
        w.WriteStartObject("content"u8);
        w.WriteStartArray("parts"u8);
        w.WriteStartObject();
        if (kind == PartKind.FunctionCall)
        {
            w.WriteStartObject("functionCall"u8);
            w.WriteString("name"u8, request.ToolName);
            w.WritePropertyName("args"u8);
            ToolCall.WriteArgumentsObject(w);
            w.WriteEndObject();
        }
        else
        {
            w.WriteString("text"u8, text);
        }
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteString("role"u8, "model"u8);
        w.WriteEndObject();
        if (final) w.WriteString("finishReason"u8, FinishReason(request));
        w.WriteNumber("index"u8, 0);
        w.WriteEndObject();
        w.WriteEndArray();
        if (request.ReportUsage) WriteUsageMetadata(w, request, outputSoFar);
        w.WriteString("modelVersion"u8, request.Model);
        w.WriteString("responseId"u8, responseId);
        w.WriteEndObject();
    }

    /// <summary>
    /// promptTokenCount includes cached tokens (cachedContentTokenCount, only when the usage-cached knob sets it);
    /// thoughts are reported apart from candidates (thoughtsTokenCount, only when there are any) and counted in the total.
    /// </summary>
    private static void WriteUsageMetadata(Utf8JsonWriter w, SimulatedRequest request, int outputSoFar)
    {
        var input = request.ReportedInputTokens;
        var candidates = request.ReportedCandidateTokens(outputSoFar);
        w.WriteStartObject("usageMetadata"u8);
        w.WriteNumber("promptTokenCount"u8, input);
        w.WriteNumber("candidatesTokenCount"u8, candidates);
        w.WriteNumber("totalTokenCount"u8, SimulatedRequest.Sum(input, candidates, request.ReasoningTokens));
        if (request.Knobs.UsageCached is { } cached) w.WriteNumber("cachedContentTokenCount"u8, cached);
        w.WriteStartArray("promptTokensDetails"u8);
        w.WriteStartObject();
        w.WriteString("modality"u8, "TEXT"u8);
        w.WriteNumber("tokenCount"u8, input);
        w.WriteEndObject();
        w.WriteEndArray();
        if (request.ReasoningTokens > 0) w.WriteNumber("thoughtsTokenCount"u8, request.ReasoningTokens);
        w.WriteEndObject();
    }

    protected override StreamSession CreateStream(SimulatedRequest request, RouteInfo route) => new Stream(request, route.Sse);

    /// <summary>
    /// One chunk per word (or the whole functionCall in one chunk), then a final chunk with an empty text part and
    /// finishReason; every chunk carries usageMetadata with the running output count. Without <c>alt=sse</c> the chunks
    /// form one JSON array.
    /// </summary>
    private sealed class Stream(SimulatedRequest request, bool sse) : StreamSession
    {
        private readonly string _responseId = Ids.New("", 22);

        public override string ContentType => sse ? "text/event-stream" : "application/json";

        public override int TokenCount => request.IsToolCall ? 1 : request.OutputWords;

        public override void Start(SseWriter writer)
        {
            if (!sse) writer.WriteRaw("["u8);
        }

        public override void Token(SseWriter writer, int index)
        {
            var w = Begin(writer, first: index == 0);
            if (request.IsToolCall) WriteChunk(w, request, _responseId, PartKind.FunctionCall, [], ToolCall.OutputTokens, final: false);
            else WriteChunk(w, request, _responseId, PartKind.Text, Vocabulary.Delta(index), index + 1, final: false);
            End(writer);
        }

        public override void Finish(SseWriter writer)
        {
            var w = Begin(writer, first: TokenCount == 0);
            WriteChunk(w, request, _responseId, PartKind.Text, [], request.OutputTokens, final: true);
            End(writer);
            if (!sse) writer.WriteRaw("]"u8);
        }

        private Utf8JsonWriter Begin(SseWriter writer, bool first)
        {
            if (sse) return writer.Begin();
            if (!first) writer.WriteRaw(",\r\n"u8);
            return writer.BeginBare();
        }

        private void End(SseWriter writer)
        {
            if (sse) writer.End();
            else writer.EndBare();
        }
    }
}
