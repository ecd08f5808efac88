using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using NexRelay.Contracts.Money;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Charging;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Translation;
using NexRelay.Edge.Translation.Sse;

namespace NexRelay.Edge.Relay;

/// <summary>One request to relay: what the caller parsed, priced and policed, and the meter the request is charged from.</summary>
/// <param name="Meter">
/// Written as the relay learns what the upstream was given and reported (and by the upstream call itself, at the hand-over),
/// so a client that leaves at any moment still leaves behind what the upstream did: the one live channel, by design.
/// </param>
/// <param name="CopyStream">A stream's bytes are also kept, as the client got them (<see cref="RelayOutcome.StreamCopy"/>): the response is to be stored.</param>
internal readonly record struct RelayCall(IClientFormat Client, ChatRequest Request, JsonObject Body, CatalogModel Model, int MaxOutputTokens,
    UpstreamMeter Meter, string ResponseId, long StartTimestamp, bool LogBodies, bool CopyStream = false);

/// <summary>What a relay did, returned whole: the caller writes it into the request's record.</summary>
internal readonly record struct RelayOutcome
{
    /// <summary>The error to write: nothing was sent to the client yet.</summary>
    public EdgeError? Error { get; init; }

    /// <summary>A non-streamed answer, ready in the client's format, for the caller to price (cost header) and write.</summary>
    public byte[]? Answer { get; init; }

    /// <summary>The status the client was answered (a stream: 200 once it began); 0 when nothing was written here.</summary>
    public int Status { get; init; }

    /// <summary>How an answer that had already begun ended badly (upstream_timeout, upstream_stream_error, client_closed_request).</summary>
    public string? ErrorCode { get; init; }

    /// <summary>The client left before anything was written (during the upstream call or a retry's wait).</summary>
    public bool ClientLeft { get; init; }

    /// <summary>The upstream that answered (or failed last).</summary>
    public ModelUpstream? Upstream { get; init; }

    public double? UpstreamTtfbMs { get; init; }
    public double? TtftMs { get; init; }
    public string? FinishReason { get; init; }
    public string? ResponseBody { get; init; }

    /// <summary>The stream as the client got it, when <see cref="RelayCall.CopyStream"/> asked for it.</summary>
    public ReadOnlyMemory<byte> StreamCopy { get; init; }
}

/// <summary>
/// Sends the request to the model's upstreams in failover order (retrying only before any byte reached the client) and writes
/// the answer back in the caller's format: pass-through when the upstream speaks the caller's format, else translated
/// through the neutral model. Streams are forwarded event by event and flushed per read, never buffered whole.
/// </summary>
internal sealed partial class UpstreamRelay(UpstreamClient upstreams, UpstreamMetrics metrics, IOptions<RelayOptions> options, ILogger<UpstreamRelay> logger)
{
    private readonly RelayOptions _options = options.Value;

    /// <summary>
    /// Relays the request and streams the answer (a non-streamed answer is returned for the caller to write). What the upstream
    /// was given and reported goes to <see cref="RelayCall.Meter"/> as it happens; everything else comes back in the outcome.
    /// </summary>
    public async Task<RelayOutcome> RelayAsync(HttpContext http, RelayCall call, CancellationToken ct)
    {
        var (client, request, body, model, maxOutput, meter, _, _, _, _) = call;
        var wait = _options.ResponseWait(request.Stream, maxOutput);
        UpstreamAttempt? last = null;
        ModelUpstream? lastUpstream = null;
        string? lastMessage = null;
        try
        {
            foreach (var upstream in model.Upstreams)
            {
                if (lastUpstream is not null) metrics.FailedOver(lastUpstream.Provider.Name);
                var native = client.PassthroughTo(upstream.Provider);
                var passthrough = native is not null;
                var format = native ?? FormatRegistry.Upstream(upstream.Provider.Kind);
                DroppedToolsHeader(http, request, passthrough);
                var (path, payload) = BuildUpstreamRequest(client, format, request, body, upstream, maxOutput, passthrough);
                var clientHeaders = passthrough ? ClientHeaders(http, client) : null;
                for (var attempt = 1; attempt <= _options.AttemptsPerUpstream; attempt++)
                {
                    var sentAt = Stopwatch.GetTimestamp();
                    // A non-streamed call is drained even if the client leaves, so it is charged from real usage.
                    var result = await upstreams.SendAsync(upstream, path, payload, request.Stream, wait, meter, request.Stream ? ct : CancellationToken.None,
                        clientHeaders);
                    lastUpstream = upstream;
                    if (result.Failure == UpstreamFailure.None)
                    {
                        var ttfb = Stopwatch.GetElapsedTime(sentAt).TotalMilliseconds;
                        using var response = result.Response!;
                        var outcome = request.Stream
                            ? await StreamAsync(http, call, format, response, passthrough, ct)
                            : await ReadAnswerAsync(call, format, response, passthrough);
                        return outcome with { Upstream = upstream, UpstreamTtfbMs = ttfb };
                    }
                    if (result.Failure == UpstreamFailure.ClientError)
                    {
                        // The upstream refused the request itself: retrying elsewhere would not help. Pass its words on.
                        meter.Refused = true;
                        using var response = result.Response!;
                        return new RelayOutcome { Error = await UpstreamRefusalAsync(upstream.Provider, format, response, ct), Upstream = upstream };
                    }
                    last = result;
                    // An upstream's 5xx body goes to the log; the caller reads its status (UpstreamErrorText).
                    var detail = result.Response is { } failed ? await ReadErrorAsync(format, failed, ct) : result.Message;
                    lastMessage = result.Response is { } answered ? UpstreamErrorText.ServerError((int)answered.StatusCode) : result.Message;
                    result.Response?.Dispose();
                    LogAttemptFailed(logger, upstream.Provider.Name, attempt, result.Failure, UpstreamErrorText.Redact(detail, upstream.Provider));
                    metrics.AttemptFailed(upstream.Provider.Name, result.Failure);
                    if (result.Failure == UpstreamFailure.ServerError) meter.Refused = true; // an error status: the upstream declined it
                    else if (result.BodySent)
                    {
                        // The upstream has the whole request and may be generating (and billing) it: sending it again, here or
                        // elsewhere, could pay for it twice. The request ends here and is charged by the rule (Charging/ChargeRule.cs).
                        return new RelayOutcome
                        {
                            Error = UpstreamFailed(model, result, lastMessage + " It was not sent again: the upstream may still be working on it."),
                            Upstream = upstream,
                        };
                    }
                    if (result.Failure == UpstreamFailure.BreakerOpen) break;
                    if (attempt < _options.AttemptsPerUpstream)
                    {
                        await Task.Delay(_options.RetryBackoff * attempt, ct);
                        metrics.Retried(upstream.Provider.Name);
                    }
                }
            }
            return new RelayOutcome { Error = UpstreamFailed(model, last, lastMessage), Upstream = lastUpstream };
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client left while an upstream was asked or between attempts: charged from the meter all the same.
            return new RelayOutcome { ClientLeft = true, Upstream = lastUpstream };
        }
    }

    /// <summary>
    /// Names the client's tools this upstream will not get (<see cref="ChatRequest.DroppedTools"/>), or clears the header when a
    /// failover reached an upstream that takes them all. Set before anything is written, so both answers and streams carry it.
    /// </summary>
    private static void DroppedToolsHeader(HttpContext http, ChatRequest request, bool passthrough)
    {
        if (request.DroppedToolList(passthrough) is { } dropped) http.Response.Headers[DroppedToolsHeaderName] = dropped;
        else http.Response.Headers.Remove(DroppedToolsHeaderName);
    }

    private const string DroppedToolsHeaderName = "x-nexrelay-dropped-tools";

    /// <summary>The client's headers its format passes on to an upstream of its own kind (<see cref="IClientFormat.PassthroughHeaders"/>).</summary>
    private static List<KeyValuePair<string, string>>? ClientHeaders(HttpContext http, IClientFormat client)
    {
        List<KeyValuePair<string, string>>? headers = null;
        foreach (var name in client.PassthroughHeaders)
        {
            foreach (var value in http.Request.Headers[name])
            {
                if (!string.IsNullOrEmpty(value)) (headers ??= []).Add(new(name, value));
            }
        }
        return headers;
    }

    private static EdgeError UpstreamFailed(CatalogModel model, UpstreamAttempt? last, string? message)
    {
        var timeout = last?.Failure == UpstreamFailure.Timeout;
        return new EdgeError(timeout ? ErrorKind.UpstreamTimeout : ErrorKind.UpstreamError,
            $"The upstream for model '{model.Id}' failed: {message ?? "no upstream answered"}",
            timeout ? "upstream_timeout" : "upstream_error");
    }

    private static (string Path, byte[] Payload) BuildUpstreamRequest(IClientFormat client, IUpstreamFormat format, ChatRequest request,
        JsonObject body, ModelUpstream upstream, int maxOutput, bool passthrough)
    {
        if (passthrough)
        {
            // Edit a copy: a failover to a differently-named upstream model starts from the client's body again.
            var copy = (JsonObject)body.DeepClone();
            client.ApplyPassthroughEdits(copy, upstream.Model, maxOutput, request.Stream);
            return (format.PassthroughPath(upstream.Model, request.Stream), JsonSerializer.SerializeToUtf8Bytes(copy));
        }
        var built = format.BuildRequest(request, upstream.Model, maxOutput, request.Stream);
        return (built.PathAndQuery, JsonSerializer.SerializeToUtf8Bytes(built.Body));
    }

    /// <summary>Reads and translates a non-streamed answer; the caller prices it (the cost header) and writes it.</summary>
    private async Task<RelayOutcome> ReadAnswerAsync(RelayCall call, IUpstreamFormat format, HttpResponseMessage response, bool passthrough)
    {
        byte[] bytes;
        using (var idle = new CancellationTokenSource(_options.IdleTimeout))
        {
            try
            {
                bytes = await response.Content.ReadAsByteArrayAsync(idle.Token);
            }
            catch (OperationCanceledException)
            {
                return new RelayOutcome { Error = new EdgeError(ErrorKind.UpstreamTimeout, "The upstream stopped sending its response.", "upstream_timeout") };
            }
        }
        ChatResponse parsed;
        try
        {
            parsed = format.ParseResponse(JsonNode.Parse(bytes) as JsonObject ?? throw new JsonException("not an object"));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            return new RelayOutcome { Error = new EdgeError(ErrorKind.UpstreamError, "The upstream returned a response NexRelay could not read.", "upstream_bad_response") };
        }

        var meter = call.Meter;
        meter.Usage = parsed.Usage;
        meter.Complete = true;
        if (parsed.Output.Count > 0) meter.MarkOutput();
        if (parsed.Usage is null) AppendOutputText(meter.Output, parsed);
        // A translated answer carries the request's own response id (as a translated stream does), not one derived from the upstream's.
        var answer = passthrough ? bytes : JsonSerializer.SerializeToUtf8Bytes(call.Client.WriteResponse(
            new ChatResponse { Id = call.ResponseId, Model = parsed.Model, Output = parsed.Output, FinishReason = parsed.FinishReason, Usage = parsed.Usage },
            call.Request));
        return new RelayOutcome
        {
            Answer = answer,
            Status = 200,
            FinishReason = parsed.FinishReason.ToString().ToLowerInvariant(),
            ResponseBody = call.LogBodies ? _options.TruncateLoggedBody(Encoding.UTF8.GetString(answer)) : null,
        };
    }

    private async Task<RelayOutcome> StreamAsync(HttpContext http, RelayCall call, IUpstreamFormat format, HttpResponseMessage response,
        bool passthrough, CancellationToken ct)
    {
        var (client, request, meter) = (call.Client, call.Request, call.Meter);
        var res = http.Response;
        res.StatusCode = 200;
        res.ContentType = "text/event-stream; charset=utf-8";
        res.Headers.CacheControl = "no-cache";
        res.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var copy = call.CopyStream ? new ArrayBufferWriter<byte>(4096) : null;
        IBufferWriter<byte> sink = copy is null ? res.BodyWriter : new CopyingBufferWriter(res.BodyWriter, copy);
        var state = new StreamState(meter, format.CreateStreamParser(), client.CreateStreamWriter(call.ResponseId, request.Model, request),
            sink, passthrough, passthrough && client.DropsUsageOnlyEvents(request), call.StartTimestamp);
        using var sse = new SseParser();
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        string? failure = null;
        string? errorCode = null;
        var failureKind = ErrorKind.UpstreamError;
        try
        {
            await res.StartAsync(ct);
            await using var upstreamBody = await response.Content.ReadAsStreamAsync(ct);
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
            while (true)
            {
                idle.CancelAfter(_options.IdleTimeout);
                int read;
                try
                {
                    read = await upstreamBody.ReadAsync(buffer, idle.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    failure = "The upstream went silent mid-stream.";
                    failureKind = ErrorKind.UpstreamTimeout;
                    break;
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException && !ct.IsCancellationRequested)
                {
                    failure = "The upstream closed the stream before it finished.";
                    break;
                }
                if (read == 0) break;
                sse.Feed(buffer.AsSpan(0, read), state, StreamState.OnEvent);
                if (state.Failure is not null) { failure = state.Failure; break; }
                await res.BodyWriter.FlushAsync(ct);
            }
            if (failure is null)
            {
                sse.Complete(state, StreamState.OnEvent);
                failure = state.Failure;
            }
            if (failure is null && !state.Finished && !passthrough)
            {
                failure = "The upstream closed the stream before it finished.";
            }
            // Finished: the usage reported is final. Otherwise what arrived is partial and the rest is estimated.
            meter.Complete = failure is null && state.Finished;
            if (failure is not null)
            {
                errorCode = failureKind == ErrorKind.UpstreamTimeout ? "upstream_timeout" : "upstream_stream_error";
                state.Writer.WriteError(client.StreamErrorType(failureKind), failure, sink);
            }
            else if (!passthrough)
            {
                state.Writer.Complete(meter.Usage, sink);
            }
            await res.BodyWriter.FlushAsync(ct);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && ct.IsCancellationRequested)
        {
            // The client left: the upstream call is cancelled, and what it did so far is charged (Charging/ChargeRule.cs).
            errorCode = "client_closed_request";
        }
        catch (Exception ex) when (res.HasStarted)
        {
            // The answer has begun: it cannot change now, but what happened is still returned, charged and logged.
            LogUnexpected(logger, ex);
            errorCode = "internal_error";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return new RelayOutcome
        {
            Status = 200,
            ErrorCode = errorCode,
            TtftMs = state.TtftMs,
            FinishReason = state.FinishReason?.ToString().ToLowerInvariant(),
            ResponseBody = call.LogBodies ? _options.TruncateLoggedBody(meter.Output.ToString()) : null,
            StreamCopy = copy?.WrittenMemory ?? default,
        };
    }

    private async Task<EdgeError> UpstreamRefusalAsync(Provider provider, IUpstreamFormat format, HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        var upstreamMessage = await ReadErrorAsync(format, response, ct);
        if (UpstreamErrorText.IsCredentialRefusal(status)) LogCredentialRefused(logger, provider.Name, status, UpstreamErrorText.Redact(upstreamMessage, provider));
        var kind = status switch
        {
            401 or 403 => ErrorKind.UpstreamError, // the gateway's upstream credential, not the caller's key
            404 => ErrorKind.NotFound,
            413 => ErrorKind.TooLarge,
            _ => ErrorKind.InvalidRequest,
        };
        return new EdgeError(kind, UpstreamErrorText.Refusal(status, upstreamMessage, provider), "upstream_rejected",
            StatusOverride: kind == ErrorKind.UpstreamError ? 502 : status);
    }

    private static async Task<string?> ReadErrorAsync(IUpstreamFormat format, HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(5));
            var text = await response.Content.ReadAsStringAsync(cts.Token);
            if (text.Length > 4096) text = text[..4096];
            try { return format.ReadErrorMessage(JsonNode.Parse(text)) ?? text; }
            catch (JsonException) { return text.Length == 0 ? null : text; }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    private static void AppendOutputText(StringBuilder text, ChatResponse response)
    {
        foreach (var part in response.Output)
        {
            if (part is TextPart t) text.Append(t.Text);
            else if (part is ToolCallPart c) text.Append(c.Name).Append(c.ArgumentsJson);
            else if (part is ReasoningPart r) text.Append(r.Text);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Upstream {Provider} refused NexRelay's credentials ({Status}): {Message}")]
    private static partial void LogCredentialRefused(ILogger logger, string provider, int status, string? message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream {Provider} attempt {Attempt} failed ({Failure}): {Message}")]
    private static partial void LogAttemptFailed(ILogger logger, string provider, int attempt, UpstreamFailure failure, string? message);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure while relaying")]
    private static partial void LogUnexpected(ILogger logger, Exception ex);

    /// <summary>Per-stream state handed to the SSE parser's callback (which cannot be async: it writes into the PipeWriter).</summary>
    private sealed class StreamState(UpstreamMeter meter, IUpstreamStreamParser parser, IClientStreamWriter writer, IBufferWriter<byte> output,
        bool passthrough, bool dropUsageOnlyChunks, long startTimestamp)
    {
        private readonly List<StreamEvent> _events = new(4);

        private readonly UpstreamMeter _meter = meter;

        public IClientStreamWriter Writer { get; } = writer;
        public double? TtftMs { get; private set; }
        public FinishReason? FinishReason { get; private set; }
        public bool Finished { get; private set; }
        public string? Failure { get; private set; }
        private StringBuilder Output => _meter.Output;

        public static void OnEvent(StreamState s, string? eventName, ReadOnlySpan<byte> data) => s.Handle(eventName, data);

        private void Handle(string? eventName, ReadOnlySpan<byte> data)
        {
            _events.Clear();
            try
            {
                parser.Parse(eventName, data, _events);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
            {
                Failure = "The upstream sent a stream event NexRelay could not read.";
                return;
            }
            var usageOnly = _events.Count > 0;
            foreach (var e in _events)
            {
                switch (e)
                {
                    case TextDelta t: Produced(); Output.Append(t.Text); usageOnly = false; break;
                    case ReasoningDelta r: Produced(); Output.Append(r.Text); usageOnly = false; break;
                    case ToolCallStart c: Produced(); Output.Append(c.Name); usageOnly = false; break;
                    case ToolCallDelta d: Output.Append(d.ArgumentsFragment); usageOnly = false; break;
                    case UsageUpdate u: _meter.Usage = u.Usage; break;
                    case StreamFinish f: FinishReason = f.Reason; Finished = true; usageOnly = false; break;
                    case StreamFailure f:
                        // An error event before any output is the upstream declining the request (free); after, it is a cut.
                        if (!_meter.ProducedOutput) _meter.Refused = true;
                        Failure = f.Message;
                        return;
                    default: usageOnly = false; break;
                }
            }
            if (passthrough)
            {
                // Pass-through streams re-frame each event unchanged; the usage chunk the client did not ask for is dropped.
                if (dropUsageOnlyChunks && usageOnly) return;
                SseWriter.WriteRaw(output, eventName, data);
                if (!Finished && data.SequenceEqual("[DONE]"u8)) Finished = true;
            }
            else
            {
                foreach (var e in _events) Writer.Write(e, output);
            }
        }

        private void Produced()
        {
            if (_meter.ProducedOutput) return;
            _meter.MarkOutput();
            TtftMs = Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
        }
    }
}
