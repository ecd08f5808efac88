using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using NexRelay.Contracts.Billing;
using NexRelay.Contracts.Money;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Charging;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Events;
using NexRelay.Edge.Holds;
using NexRelay.Edge.Keys;
using NexRelay.Edge.Responses;
using NexRelay.Edge.Tokens;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Relay;

/// <summary>
/// One request through the edge (docs/architecture.md): admitted (<see cref="KeyAdmission"/>) → read and parse → police →
/// price and hold → relay → finish. Every refusal is written in the caller's format; every request that presented a key is
/// published once as RequestCompleted, a refused one too (<see cref="RefuseAsync(HttpContext, IClientFormat, Admission)"/>).
/// </summary>
internal sealed partial class RelayHandler(
    ModelCatalog catalog,
    KeyGate keyGate,
    Reservations reservations,
    UpstreamRelay relay,
    TokenEstimator tokens,
    RequestCharger charger,
    IRequestEventPublisher events,
    ResponseStore responses,
    RelayMetrics metrics,
    IOptions<RelayOptions> options,
    ILogger<RelayHandler> logger) : IRefusalRecorder
{
    private readonly RelayOptions _options = options.Value;

    /// <summary>Relays an admitted request (the route <see cref="KeyAdmission.RequireKey{TBuilder}"/>, recording refusals).</summary>
    public async Task HandleAsync(HttpContext http, string? routeModel, bool? routeStream)
    {
        metrics.Started();
        try
        {
            await HandleAsync(http, http.ClientFormat(), new Admission(http.AdmittedKey(), null, true, null), routeModel, routeStream);
        }
        finally
        {
            metrics.Ended();
        }
    }

    /// <summary>A refused request: answered in its format, and published for the key's owner when it presented a real key.</summary>
    public Task RefuseAsync(HttpContext http, IClientFormat format, Admission refused) => HandleAsync(http, format, refused, null, null);

    private async Task HandleAsync(HttpContext http, IClientFormat format, Admission admission, string? routeModel, bool? routeStream)
    {
        var record = new RelayRecord(RequestIds.New(), format, http.Request.Path.Value ?? "", Stopwatch.GetTimestamp());
        http.Response.Headers["x-request-id"] = record.RequestId;
        // The request id on the HTTP server span too: an operator who has a log row searches traces by it.
        http.Features.Get<IHttpActivityFeature>()?.Activity.SetTag(NexRelayTelemetry.RequestIdTag, record.RequestId);
        using var activity = NexRelayTelemetry.ActivitySource.StartActivity("relay");
        activity?.SetTag(NexRelayTelemetry.RequestIdTag, record.RequestId);
        using var scope = logger.BeginScope(new KeyValuePair<string, object>[] { new(NexRelayTelemetry.RequestIdTag, record.RequestId) });
        try
        {
            var error = await RunAsync(http, record, admission, routeModel, routeStream);
            if (error is not null) await RefuseAsync(http, record, error);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            ClientLeft(record);
        }
        catch (ClientClosedException ex)
        {
            LogClientLeftDuringBody(logger, ex.Message);
            ClientLeft(record);
        }
        catch (Exception ex) when (!http.Response.HasStarted)
        {
            LogUnexpected(logger, ex);
            await RefuseAsync(http, record, new EdgeError(ErrorKind.UpstreamError, "The gateway failed to process the request.", "internal_error", StatusOverride: 500));
        }
        catch (Exception ex)
        {
            // The answer had started: it cannot change now, but the request is still charged and logged below.
            LogUnexpected(logger, ex);
            record.ErrorCode ??= "internal_error";
        }
        finally
        {
            // However the request ended, once priced and held it is charged by the one rule (Charging/ChargeRule.cs).
            charger.Apply(record);
            if (record.Key is { } key && record.Usage is { } usage) keyGate.RecordTokens(key, usage.InputTokens + usage.OutputTokens);
            Finish(http, record, activity);
        }
    }

    private async Task<EdgeError?> RunAsync(HttpContext http, RelayRecord record, Admission admission, string? routeModel, bool? routeStream)
    {
        var ct = http.RequestAborted;

        // 1. Admitted before the handler (KeyAdmission); a refusal comes here only to be answered and recorded.
        record.KeyPresented = admission.KeyPresented;
        record.Key = admission.Key;
        if (admission.Error is not null) return admission.Error;
        var key = admission.Key!;

        // 2. Read and parse the body once, in the caller's format.
        var (body, bodyError) = await JsonBodyReader.ReadAsync(http.Request, _options.MaxRequestBodyBytes, ct);
        if (bodyError is not null) return bodyError;
        var client = record.Client;
        // Logged as the client sent it, before a continued conversation is put in front of its input.
        var sentBody = key.Policy.LogBodies ? body!.ToJsonString() : null;
        ChatRequest request;
        try
        {
            if (client.StoredResponses is { } stored && await ContinueAsync(stored, body!, key.WalletId, ct) is { } notContinued) return notContinued;
            request = client.ParseRequest(body!, routeModel, routeStream);
        }
        catch (RequestValidationException ex)
        {
            return EdgeError.BadRequest(ex.Message, ex.Param);
        }
        record.Model = request.Model;
        record.Stream = request.Stream;
        if (sentBody is not null) record.RequestBody = _options.TruncateLoggedBody(sentBody);

        // 3. Police: model, output cap, rate.
        if (!catalog.TryGet(request.Model, out var model)) return EdgeError.UnknownModel(request.Model);
        if (model.RefusesDroppedTools && request.DroppedToolList(client.PassthroughTo(model.Upstreams[0].Provider) is not null) is { } dropped)
        {
            return EdgeError.BadRequest(
                $"Model '{model.Id}' refuses requests with tools NexRelay cannot forward to its upstream: {dropped}. Remove them to use this model.", "tools");
        }
        var decision = keyGate.Police(key, model, request.MaxOutputTokens);
        if (decision.Error is not null) return decision.Error;
        var maxOutput = decision.MaxOutputTokens;
        if (decision.Clamped) http.Response.Headers["x-nexrelay-output-cap"] = maxOutput.ToString(CultureInfo.InvariantCulture);
        var rateError = await keyGate.CheckRateAsync(http, key, ct);
        if (rateError is not null) return rateError;

        // 4. Price the worst case and reserve it (Holds/Reservations.cs: a credit lease in memory, or a hold at billing).
        var inputUpperBound = tokens.UpperBoundInput(TextExtraction.EnumerateInputText(request), request.Messages.Count + 1, TextExtraction.CountImages(request));
        var worstCase = Micros.CeilFromPicos(Micros.Picos(inputUpperBound, model.Prices.WorstInputMicrosPerM) + Micros.Picos(maxOutput, model.Prices.OutputMicrosPerM));
        if (worstCase > HoldRequest.MaxAmountMicros) return WorstCaseTooLarge(worstCase);
        if (worstCase == 0)
        {
            // A free model: nothing to hold, and its requests are logged at $0.
            record.Pricing = new RequestPricing(request, model, maxOutput);
            return await RelayAsync(http, record, request, body!, model, maxOutput, ct);
        }
        // A full spool could take this request's event only past its cap: refused before anything is held or sent.
        if (events.Backlogged) return EventsBacklogged();
        var holdRequest = new HoldRequest
        {
            RequestId = record.RequestId,
            WalletId = key.WalletId,
            KeyId = key.Id,
            AmountMicros = worstCase,
            BudgetMicros = key.Policy.BudgetMicros,
            BudgetPeriod = key.Policy.BudgetPeriod,
        };
        var reserved = await reservations.ReserveAsync(holdRequest);
        // Kept whatever the answer: a hold of unknown outcome is ended too (settled at zero) when the request ends.
        record.Reservation = reserved.Reservation;
        if (reserved.Refusal is { } refusal) return InsufficientQuota(refusal);
        if (reserved.BillingUnavailable) return EdgeError.BillingUnavailable();
        record.Pricing = new RequestPricing(request, model, maxOutput);

        // 5. Relay and stream back; charged and published in HandleAsync's finally, whatever happens here.
        return await RelayAsync(http, record, request, body!, model, maxOutput, ct);
    }

    /// <summary>Relays, writes what the relay did into the record, and answers a non-streamed request with its cost.</summary>
    private async Task<EdgeError?> RelayAsync(HttpContext http, RelayRecord record, ChatRequest request, JsonObject body, CatalogModel model,
        int maxOutput, CancellationToken ct)
    {
        var stored = record.Key is not null && record.Client.StoredResponses is { } format && format.Stores(body) ? format : null;
        var call = new RelayCall(record.Client, request, body, model, maxOutput, record.Meter, record.Client.ResponseId(record.RequestId),
            record.StartTimestamp, record.Key?.Policy.LogBodies == true, CopyStream: stored is not null && request.Stream);
        var outcome = await relay.RelayAsync(http, call, ct);
        record.Take(outcome);
        if (stored is not null && outcome.Error is null) Store(record, stored, body, request, outcome);
        if (outcome.ClientLeft) ClientLeft(record);
        if (outcome.Answer is { } answer) await AnswerAsync(http, record, answer, ct);
        return outcome.Error;
    }

    /// <summary>
    /// Puts the stored response <paramref name="body"/> continues (<c>previous_response_id</c>) in front of its input, or answers
    /// why it cannot: not this owner's (or no longer kept), or the store cannot be asked.
    /// </summary>
    private async Task<EdgeError?> ContinueAsync(IStoredResponses format, JsonObject body, Guid walletId, CancellationToken ct)
    {
        if (format.ContinuesFrom(body) is not { } id) return null;
        var found = await responses.GetAsync(id, walletId, ct);
        if (found.Unavailable) return new EdgeError(ErrorKind.Unavailable, "Stored responses cannot be read right now, so nothing was sent upstream; try again shortly.", "store_unavailable");
        if (found.Response is not { } previous)
        {
            return new EdgeError(ErrorKind.NotFound, $"Previous response with id '{id}' not found.", "previous_response_not_found", "previous_response_id");
        }
        format.Continue(body, previous.Input, previous.Response);
        return null;
    }

    /// <summary>Hands the answered response over to be stored (in the background) and counts its bytes in the request's log.</summary>
    private void Store(RelayRecord record, IStoredResponses format, JsonObject body, ChatRequest request, RelayOutcome outcome)
    {
        var answered = outcome.Answer is { } answer ? format.Answered(answer, stream: false) : format.Answered(outcome.StreamCopy.Span, stream: true);
        if (answered is null || Lenient.Str(answered["id"]) is not { Length: > 0 and <= IStoredResponses.MaxIdLength } id) return;
        var key = record.Key!;
        var (stored, bytes) = ResponseStore.Prepare(id, key.WalletId, key.Id, record.RequestId, request.Model, format.InputItems(body), answered);
        record.StoredBytes = bytes;
        responses.Store(stored);
    }

    private async Task AnswerAsync(HttpContext http, RelayRecord record, byte[] answer, CancellationToken ct)
    {
        // The cost header needs the charge now: the same rule on the same facts as the settlement when the request ends.
        charger.Apply(record);
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        http.Response.Headers["x-nexrelay-cost-usd"] = Micros.ToUsd(record.CostMicros).ToString("0.######", CultureInfo.InvariantCulture);
        try
        {
            await http.Response.Body.WriteAsync(answer, ct);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && ct.IsCancellationRequested)
        {
            record.ErrorCode = "client_closed_request";
        }
    }

    private static void ClientLeft(RelayRecord record)
    {
        record.ErrorCode ??= "client_closed_request";
        if (record.Status == 0) record.Status = 499;
    }

    /// <summary>
    /// Above the largest hold billing takes, whatever the wallet: a property of the request (its input and output limit at
    /// this model's prices), so a 400 the caller can act on, not billing's refusal seen as an outage (it was a 503).
    /// </summary>
    private static EdgeError WorstCaseTooLarge(long worstCase) => new(ErrorKind.InvalidRequest, string.Create(CultureInfo.InvariantCulture,
        $"This request could cost up to ${Micros.ToUsd(worstCase):#,0.##} (its input and output limit at this model's prices), above the " +
        $"${Micros.ToUsd(HoldRequest.MaxAmountMicros):#,0} one request may hold. Send less input or a lower output limit."), "worst_case_too_large");

    private static EdgeError EventsBacklogged() => new(ErrorKind.Unavailable,
        "This gateway replica has too many requests waiting to be billed to take new paid ones; try again shortly.", "events_backlogged")
    {
        RetryAfter = TimeSpan.FromSeconds(5),
    };

    private static EdgeError InsufficientQuota(HoldResponse hold)
    {
        var what = hold.Shortfall == "budget" ? "This key's budget" : "The wallet's balance";
        return new EdgeError(ErrorKind.InsufficientQuota,
            $"{what} is too low for this request: it needs up to ${Micros.ToUsd(hold.NeededMicros):0.######} (worst case) and ${Micros.ToUsd(hold.AvailableMicros):0.######} is available.",
            hold.Shortfall == "budget" ? "budget_exceeded" : "insufficient_quota");
    }

    private static async Task RefuseAsync(HttpContext http, RelayRecord record, EdgeError error)
    {
        record.Status = error.Status;
        record.ErrorCode = error.Code;
        if (http.Response.HasStarted) return;
        await ErrorWriters.WriteAsync(http, record.Client, error);
    }

    private void Finish(HttpContext http, RelayRecord record, Activity? activity)
    {
        if (record.Status == 0) record.Status = http.Response.StatusCode;
        // The reservation becomes the charge; it stays alive until RabbitMQ confirms the event that settles it.
        record.CostMicros = reservations.Complete(record.Reservation, record.CostMicros, settlementPublished: record.KeyPresented);
        var latencyMs = Stopwatch.GetElapsedTime(record.StartTimestamp).TotalMilliseconds;
        metrics.Completed(record, latencyMs / 1000, activity);
        if (!record.KeyPresented) return;
        events.Publish(record.ToMessage(latencyMs, http.Connection.RemoteIpAddress?.ToString(), http.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null,
            activity is { Recorded: true } ? activity.Id : null));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The client left while sending its request body: {Reason}")]
    private static partial void LogClientLeftDuringBody(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure while relaying")]
    private static partial void LogUnexpected(ILogger logger, Exception ex);
}
