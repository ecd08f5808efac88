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

/// <summary>
/// Sends the request to the model's upstreams in failover order (retrying only before any byte reached the client) and writes
/// the answer back in the caller's format: pass-through when the upstream speaks the caller's format, else translated
/// through the neutral model. Streams are forwarded event by event and flushed per read, never buffered whole.
/// </summary>
internal sealed partial class UpstreamRelay(UpstreamClient upstreams, RequestCharger charger, IOptions<RelayOptions> options,
    ILogger<UpstreamRelay> logger)
{
    private static readonly JsonWriterOptions CompactJson = new() { Indented = false };
    private readonly RelayOptions _options = options.Value;

    /// <summary>
    /// Relays the request and writes the answer; returns the error to write when nothing was sent to the client yet. What the
    /// upstream was given and reported goes to <see cref="RelayRecord.Meter"/>, from which the request is charged whatever
    /// happens here (a client that leaves surfaces as the cancellation of <paramref name="ct"/>).
    /// </summary>
    public async Task<EdgeError?> RelayAsync(HttpContext http, RelayRecord record, IClientFormat client, ChatRequest request,
        JsonObject body, CatalogModel model, int maxOutput, CancellationToken ct)
    {
        var meter = record.Meter;
        var wait = _options.ResponseWait(request.Stream, maxOutput);
        UpstreamAttempt? last = null;
        string? lastMessage = null;
        foreach (var upstream in model.Upstreams)
        {
            var passthrough = client.NativeUpstream == upstream.Provider.Kind;
            var format = FormatRegistry.Upstream(upstream.Provider.Kind);
            var (path, payload) = BuildUpstreamRequest(client, format, request, body, upstream, maxOutput, passthrough);
            for (var attempt = 1; attempt <= _options.AttemptsPerUpstream; attempt++)
            {
                var sentAt = Stopwatch.GetTimestamp();
                // A non-streamed call is drained even if the client leaves, so it is charged from real usage.
                var result = await upstreams.SendAsync(upstream, path, payload, request.Stream, wait, meter, request.Stream ? ct : CancellationToken.None);
                record.UpstreamProvider = upstream.Provider.Name;
                record.UpstreamModel = upstream.Model;
                if (result.Failure == UpstreamFailure.None)
                {
                    record.UpstreamTtfbMs = Stopwatch.GetElapsedTime(sentAt).TotalMilliseconds;
                    using var response = result.Response!;
                    if (request.Stream)
                    {
                        await StreamAsync(http, record, client, format, request, response, passthrough, ct);
                        return null;
                    }
                    return await RespondAsync(http, record, client, format, response, model, passthrough, ct);
                }
                if (result.Failure == UpstreamFailure.ClientError)
                {
                    // The upstream refused the request itself: retrying elsewhere would not help. Pass its words on.
                    meter.Refused = true;
                    using var response = result.Response!;
                    return await UpstreamRefusalAsync(upstream.Provider, format, response, ct);
                }
                last = result;
                // An upstream's 5xx body goes to the log; the caller reads its status (UpstreamErrorText).
                var detail = result.Response is { } failed ? await ReadErrorAsync(format, failed, ct) : result.Message;
                lastMessage = result.Response is { } answered ? UpstreamErrorText.ServerError((int)answered.StatusCode) : result.Message;
                result.Response?.Dispose();
                LogAttemptFailed(logger, upstream.Provider.Name, attempt, result.Failure, UpstreamErrorText.Redact(detail, upstream.Provider));
                if (result.Failure == UpstreamFailure.ServerError) meter.Refused = true; // an error status: the upstream declined it
                else if (result.BodySent)
                {
                    // The upstream has the whole request and may be generating (and billing) it: sending it again, here or
                    // elsewhere, could pay for it twice. The request ends here and is charged by the rule (Charging/ChargeRule.cs).
                    return UpstreamFailed(model, result, lastMessage + " It was not sent again: the upstream may still be working on it.");
                }
                if (result.Failure == UpstreamFailure.BreakerOpen) break;
                if (attempt < _options.AttemptsPerUpstream) await Task.Delay(_options.RetryBackoff * attempt, ct);
            }
        }
        return UpstreamFailed(model, last, lastMessage);
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

    private async Task<EdgeError?> RespondAsync(HttpContext http, RelayRecord record, IClientFormat client, IUpstreamFormat format,
        HttpResponseMessage response, CatalogModel model, bool passthrough, CancellationToken ct)
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
                return new EdgeError(ErrorKind.UpstreamTimeout, "The upstream stopped sending its response.", "upstream_timeout");
            }
        }
        ChatResponse parsed;
        try
        {
            parsed = format.ParseResponse(JsonNode.Parse(bytes) as JsonObject ?? throw new JsonException("not an object"));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            return new EdgeError(ErrorKind.UpstreamError, "The upstream returned a response NexRelay could not read.", "upstream_bad_response");
        }

        var meter = record.Meter;
        meter.Usage = parsed.Usage;
        meter.Complete = true;
        if (parsed.Output.Count > 0) meter.MarkOutput();
        if (parsed.Usage is null) AppendOutputText(meter.Output, parsed);
        record.FinishReason = parsed.FinishReason.ToString().ToLowerInvariant();

        // The cost header needs the charge now: the same rule on the same facts as the settlement when the request ends.
        charger.Apply(record);
        var payload = passthrough ? bytes : JsonSerializer.SerializeToUtf8Bytes(client.WriteResponse(parsed, record.Model ?? model.Id));
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        http.Response.Headers["x-nexrelay-cost-usd"] = Micros.ToUsd(record.CostMicros).ToString("0.######", CultureInfo.InvariantCulture);
        record.Status = 200;
        if (record.Key?.Policy.LogBodies == true) record.ResponseBody = _options.TruncateLoggedBody(Encoding.UTF8.GetString(payload));
        try
        {
            await http.Response.Body.WriteAsync(payload, ct);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && ct.IsCancellationRequested)
        {
            record.ErrorCode = "client_closed_request";
        }
        return null;
    }

    private async Task StreamAsync(HttpContext http, RelayRecord record, IClientFormat client, IUpstreamFormat format,
        ChatRequest request, HttpResponseMessage response, bool passthrough, CancellationToken ct)
    {
        var res = http.Response;
        res.StatusCode = 200;
        res.ContentType = "text/event-stream; charset=utf-8";
        res.Headers.CacheControl = "no-cache";
        res.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        record.Status = 200;

        var state = new StreamState(record, format.CreateStreamParser(),
            client.CreateStreamWriter(ResponseIdFor(record), record.Model ?? "", request), res.BodyWriter, passthrough,
            passthrough && client.Format == ClientFormat.OpenAIChat && !request.IncludeStreamUsage, record.StartTimestamp);
        using var sse = new SseParser();
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        string? failure = null;
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
            record.Meter.Complete = failure is null && state.Finished;
            if (failure is not null)
            {
                record.ErrorCode = failureKind == ErrorKind.UpstreamTimeout ? "upstream_timeout" : "upstream_stream_error";
                state.Writer.WriteError(ErrorTypeFor(client.Format, failureKind), failure, res.BodyWriter);
            }
            else if (!passthrough)
            {
                state.Writer.Complete(record.Meter.Usage, res.BodyWriter);
            }
            await res.BodyWriter.FlushAsync(ct);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && ct.IsCancellationRequested)
        {
            // The client left: the upstream call is cancelled, and what it did so far is charged (Charging/ChargeRule.cs).
            record.ErrorCode = "client_closed_request";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            record.FinishReason = state.FinishReason?.ToString().ToLowerInvariant();
            if (record.Key?.Policy.LogBodies == true) record.ResponseBody = _options.TruncateLoggedBody(record.Meter.Output.ToString());
        }
    }

    private static string ErrorTypeFor(ClientFormat format, ErrorKind kind) => format switch
    {
        ClientFormat.Anthropic => ErrorWriters.AnthropicType(kind),
        ClientFormat.Gemini => ErrorWriters.GeminiStatus(kind),
        _ => "server_error",
    };

    private static string ResponseIdFor(RelayRecord record) => record.Format switch
    {
        ClientFormat.OpenAIChat => "chatcmpl-" + record.RequestId[4..],
        ClientFormat.OpenAIResponses => "resp_" + record.RequestId[4..],
        ClientFormat.Anthropic => "msg_" + record.RequestId[4..],
        _ => record.RequestId,
    };

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

    /// <summary>Per-stream state handed to the SSE parser's callback (which cannot be async: it writes into the PipeWriter).</summary>
    private sealed class StreamState(RelayRecord record, IUpstreamStreamParser parser, IClientStreamWriter writer, IBufferWriter<byte> output,
        bool passthrough, bool dropUsageOnlyChunks, long startTimestamp)
    {
        private static readonly byte[] EventPrefix = "event: "u8.ToArray();
        private static readonly byte[] DataPrefix = "data: "u8.ToArray();
        private readonly List<StreamEvent> _events = new(4);

        private readonly UpstreamMeter _meter = record.Meter;

        public IClientStreamWriter Writer { get; } = writer;
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
                if (eventName is not null) { output.Write(EventPrefix); output.Write(Encoding.UTF8.GetBytes(eventName)); output.Write("\n"u8); }
                output.Write(DataPrefix);
                output.Write(data);
                output.Write("\n\n"u8);
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
            record.TtftMs = Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
        }
    }
}
