using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>
/// One provider wire format. The pipeline here is shared: read the body, settle the knobs (headers, prompt directives,
/// path, settings), count the tag, wait the first-byte delay, check the key, parse, apply the failure knob, then answer
/// whole or as a stream. Formats supply parsing, the error envelope and the writers.
/// </summary>
internal abstract class WireFormat
{
    private const string MissingKeyMessage = "You didn't provide an API key. Pass it in the Authorization header (Bearer), x-api-key, x-goog-api-key or the key query parameter.";
    private const string UnparsableBodyMessage = "We could not parse the JSON body of your request.";

    /// <summary>Reads the request; throws <see cref="BadRequestException"/> for bad input.</summary>
    protected abstract SimulatedRequest Parse(JsonElement root, RouteInfo route);

    /// <summary>This format's error envelope.</summary>
    protected abstract void WriteError(Utf8JsonWriter writer, int status, string message, string? param);

    protected abstract void WriteResponse(Utf8JsonWriter writer, SimulatedRequest request);

    protected abstract StreamSession CreateStream(SimulatedRequest request, RouteInfo route);

    public async Task HandleAsync(HttpContext context, RouteInfo route)
    {
        var cancellationToken = context.RequestAborted;
        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptionsMonitor<SimulatorOptions>>().CurrentValue;
        var response = context.Response;
        try
        {
            using var body = await RequestBody.ReadAsync(context.Request, cancellationToken);
            // Parsed before anything is answered because prompt directives are knobs too; a bad body is refused later, in order.
            using var document = TryParseJson(body.Memory);
            var knobs = Knobs.From(
                new KnobSources(context.Request.Headers, PromptDirectives.Find(body.Memory.Span, document), KnobPath.Get(context)), options);
            if (knobs.Tag is { } tag)
            {
                var beta = context.Request.Headers["anthropic-beta"].ToString();
                services.GetRequiredService<TagCounts>().Add(tag, beta.Length > 0 ? beta : null);
            }
            if (knobs.FirstByteDelayMs > 0) await Task.Delay(knobs.FirstByteDelayMs, cancellationToken);
            if (knobs.AbortBeforeHeaders)
            {
                context.Abort();
                return;
            }

            response.Headers[Knobs.ReceivedMaxTokensHeader] = "none";
            if (!HasApiKey(context.Request))
            {
                await WriteErrorAsync(response, StatusCodes.Status401Unauthorized, MissingKeyMessage, null, cancellationToken);
                return;
            }

            SimulatedRequest request;
            try
            {
                if (document?.RootElement.ValueKind != JsonValueKind.Object) throw new BadRequestException(UnparsableBodyMessage);
                request = Parse(document.RootElement, route);
            }
            catch (BadRequestException e)
            {
                if (knobs.EchoRequest) response.Headers[Knobs.RequestBodyHeader] = Convert.ToBase64String(body.Memory.Span);
                await WriteErrorAsync(response, StatusCodes.Status400BadRequest, e.Message, e.Param, cancellationToken);
                return;
            }

            request.Knobs = knobs;
            response.Headers[Knobs.ReceivedMaxTokensHeader] = request.ReceivedMaxTokens;
            if (knobs.EchoRequest && !request.Stream) response.Headers[Knobs.RequestBodyHeader] = Convert.ToBase64String(body.Memory.Span);

            if (knobs.FailStatus != 0)
            {
                await WriteErrorAsync(response, knobs.FailStatus, $"Simulated upstream failure (HTTP {knobs.FailStatus}).", null, cancellationToken);
                return;
            }

            if (request.Stream) await StreamAsync(context, request, route, knobs, cancellationToken);
            else await RespondAsync(context, request, knobs, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
    }

    private static JsonDocument? TryParseJson(ReadOnlyMemory<byte> body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task RespondAsync(HttpContext context, SimulatedRequest request, Knobs knobs, CancellationToken cancellationToken)
    {
        // A whole answer waits for every token it would have streamed, hidden reasoning included, then the finish delay.
        await DelayAsync((long)knobs.TokenDelayMs * ((long)request.OutputTokens + knobs.HiddenReasoning) + knobs.FinishDelayMs, cancellationToken);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        if (knobs.CutAfter >= 0)
        {
            await SendHalfAndAbortAsync(context, request, cancellationToken);
            return;
        }
        using (var writer = new Utf8JsonWriter(response.BodyWriter, SseWriter.JsonOptions))
        {
            WriteResponse(writer, request);
        }
        await response.BodyWriter.FlushAsync(cancellationToken);
    }

    /// <summary>The cut knob on a whole answer: the first half of the body, then the connection drops.</summary>
    private async Task SendHalfAndAbortAsync(HttpContext context, SimulatedRequest request, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, SseWriter.JsonOptions))
        {
            WriteResponse(writer, request);
        }
        await context.Response.Body.WriteAsync(buffer.WrittenMemory[..(buffer.WrittenCount / 2)], cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
        await Task.Delay(50, cancellationToken);
        context.Abort();
    }

    private async Task StreamAsync(HttpContext context, SimulatedRequest request, RouteInfo route, Knobs knobs, CancellationToken cancellationToken)
    {
        var session = CreateStream(request, route);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = session.ContentType;
        response.Headers.CacheControl = "no-cache";

        using var sse = new SseWriter(response.BodyWriter);
        session.Start(sse);
        if (!await sse.FlushAsync(cancellationToken)) return;

        var tokens = session.TokenCount;
        for (var i = 0; i < tokens; i++)
        {
            if (knobs.CutAfter >= 0 && i >= knobs.CutAfter) break;
            // Hidden reasoning: the opening events are out, then silence while the model "thinks" before its first token.
            if (i == 0) await DelayAsync((long)knobs.TokenDelayMs * knobs.HiddenReasoning, cancellationToken);
            if (knobs.TokenDelayMs > 0) await Task.Delay(knobs.TokenDelayMs, cancellationToken);
            session.Token(sse, i);
            if (!await sse.FlushAsync(cancellationToken)) return;
        }

        if (knobs.CutAfter >= 0)
        {
            // Let the flushed events reach the socket, then drop the connection with no closing events.
            await Task.Delay(50, cancellationToken);
            context.Abort();
            return;
        }

        // The whole text is out; the finish reason and usage follow after the finish delay.
        if (knobs.FinishDelayMs > 0) await Task.Delay(knobs.FinishDelayMs, cancellationToken);
        session.Finish(sse);
        await sse.FlushAsync(cancellationToken);
    }

    /// <summary>Waits <paramref name="milliseconds"/>, capped at Task.Delay's limit (knob products can exceed it).</summary>
    private static Task DelayAsync(long milliseconds, CancellationToken cancellationToken) =>
        milliseconds <= 0 ? Task.CompletedTask : Task.Delay(TimeSpan.FromMilliseconds(Math.Min(milliseconds, int.MaxValue)), cancellationToken);

    private async Task WriteErrorAsync(HttpResponse response, int status, string message, string? param, CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        using (var writer = new Utf8JsonWriter(response.BodyWriter, SseWriter.JsonOptions))
        {
            WriteError(writer, status, message, param);
        }
        await response.BodyWriter.FlushAsync(cancellationToken);
    }

    private static bool HasApiKey(HttpRequest request)
    {
        var headers = request.Headers;
        var authorization = headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && !authorization.AsSpan(7).IsWhiteSpace()) return true;
        if (!string.IsNullOrWhiteSpace(headers["x-api-key"].ToString())) return true;
        if (!string.IsNullOrWhiteSpace(headers["x-goog-api-key"].ToString())) return true;
        return !string.IsNullOrWhiteSpace(request.Query["key"].ToString());
    }
}

/// <summary>What the route says (Gemini: model in the path, streaming by method, SSE by <c>alt=sse</c>).</summary>
internal readonly record struct RouteInfo(string? Model = null, bool? Stream = null, bool Sse = true);

/// <summary>The stateful writer of one streamed response: opening events, one event per token, closing events.</summary>
internal abstract class StreamSession
{
    public virtual string ContentType => "text/event-stream";

    /// <summary>Token events to send (words, or tool-argument pieces).</summary>
    public abstract int TokenCount { get; }

    public abstract void Start(SseWriter sse);
    public abstract void Token(SseWriter sse, int index);
    public abstract void Finish(SseWriter sse);
}
