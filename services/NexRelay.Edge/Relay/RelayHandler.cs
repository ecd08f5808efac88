using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using NexRelay.Contracts.Billing;
using NexRelay.Contracts.Money;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Events;
using NexRelay.Edge.Holds;
using NexRelay.Edge.Keys;
using NexRelay.Edge.Tokens;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Relay;

/// <summary>
/// One request through the edge (DESIGN.md): authenticate → read and parse → police → price and hold → relay → finish.
/// Every refusal is written in the caller's format; every request that presented a key is published once as RequestCompleted.
/// </summary>
internal sealed partial class RelayHandler(
    ModelCatalog catalog,
    KeyGate keyGate,
    IHoldService holds,
    CreditLeases leases,
    UpstreamRelay relay,
    TokenEstimator tokens,
    IRequestEventPublisher events,
    IOptions<RelayOptions> options,
    ILogger<RelayHandler> logger)
{
    private readonly RelayOptions _options = options.Value;

    public async Task HandleAsync(HttpContext http, ClientFormat format, string? routeModel, bool? routeStream)
    {
        var record = new RelayRecord(RequestIds.New(), format, http.Request.Path.Value ?? "", Stopwatch.GetTimestamp());
        http.Response.Headers["x-request-id"] = record.RequestId;
        using var activity = NexRelayTelemetry.ActivitySource.StartActivity("relay");
        activity?.SetTag(NexRelayTelemetry.RequestIdTag, record.RequestId);
        using var scope = logger.BeginScope(new KeyValuePair<string, object>[] { new(NexRelayTelemetry.RequestIdTag, record.RequestId) });
        try
        {
            var error = await RunAsync(http, record, routeModel, routeStream);
            if (error is not null) await RefuseAsync(http, record, error);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            record.ErrorCode ??= "client_closed_request";
            if (record.Status == 0) record.Status = 499;
        }
        catch (Exception ex) when (!http.Response.HasStarted)
        {
            LogUnexpected(logger, ex);
            await RefuseAsync(http, record, new EdgeError(ErrorKind.UpstreamError, "The gateway failed to process the request.", "internal_error", StatusOverride: 500));
        }
        finally
        {
            Finish(http, record);
        }
    }

    private async Task<EdgeError?> RunAsync(HttpContext http, RelayRecord record, string? routeModel, bool? routeStream)
    {
        var ct = http.RequestAborted;

        // 1. Authenticate: a cache hit costs no network call.
        var admission = await keyGate.AuthenticateAsync(http.Request, ct);
        record.KeyPresented = admission.KeyPresented;
        record.Key = admission.Key;
        if (admission.Error is not null) return admission.Error;
        var key = admission.Key!;

        // 2. Read and parse the body once, in the caller's format.
        var (body, bodyError) = await JsonBodyReader.ReadAsync(http.Request, _options.MaxRequestBodyBytes, ct);
        if (bodyError is not null) return bodyError;
        var client = FormatRegistry.Client(record.Format);
        ChatRequest request;
        try
        {
            request = client.ParseRequest(body!, routeModel, routeStream);
        }
        catch (RequestValidationException ex)
        {
            return EdgeError.BadRequest(ex.Message, ex.Param);
        }
        record.Model = request.Model;
        record.Stream = request.Stream;
        if (key.Policy.LogBodies) record.RequestBody = _options.TruncateLoggedBody(body!.ToJsonString());

        // 3. Police: model, output cap, rate.
        if (!catalog.TryGet(request.Model, out var model)) return EdgeError.UnknownModel(request.Model);
        var decision = keyGate.Police(key, model, request.MaxOutputTokens);
        if (decision.Error is not null) return decision.Error;
        var maxOutput = decision.MaxOutputTokens;
        if (decision.Clamped) http.Response.Headers["x-nexrelay-output-cap"] = maxOutput.ToString(CultureInfo.InvariantCulture);
        var rateError = await keyGate.CheckRateAsync(http, key, ct);
        if (rateError is not null) return rateError;

        // 4. Price the worst case and hold it: in memory against a credit lease, or (no lease) one call to billing.
        var inputUpperBound = tokens.UpperBoundInput(TextExtraction.EnumerateInputText(request), request.Messages.Count + 1, TextExtraction.CountImages(request));
        var worstCase = Micros.CeilFromPicos(Micros.Picos(inputUpperBound, model.Prices.InputMicrosPerM) + Micros.Picos(maxOutput, model.Prices.OutputMicrosPerM));
        var holdRequest = new HoldRequest
        {
            RequestId = record.RequestId,
            WalletId = key.WalletId,
            KeyId = key.Id,
            AmountMicros = worstCase,
            BudgetMicros = key.Policy.BudgetMicros,
            BudgetPeriod = key.Policy.BudgetPeriod,
        };
        try
        {
            // Against this replica's credit lease for the key when it has (or can take) one.
            // Not cancelled by the client: a hold billing committed while the client left must be known, so it is settled.
            if (await leases.TryReserveAsync(holdRequest) is { } lease)
            {
                record.Lease = lease;
                record.HeldMicros = worstCase;
                record.BudgetPeriodKey = lease.BudgetPeriodKey;
            }
            else
            {
                var hold = await holds.HoldAsync(holdRequest, CancellationToken.None);
                if (!hold.Granted) return InsufficientQuota(hold);
                record.HeldMicros = worstCase;
                record.BudgetPeriodKey = hold.BudgetPeriodKey;
            }
        }
        catch (BillingUnavailableException ex)
        {
            // The hold's outcome is unknown (billing may have committed it): settle it at zero cost, which releases it
            // if it exists and records nothing otherwise, instead of leaving it to the orphan sweep.
            record.HeldMicros = worstCase;
            return new EdgeError(ErrorKind.Unavailable, ex.Message, "billing_unavailable");
        }

        // 5. Relay and stream back.
        var outcome = await relay.RelayAsync(http, record, client, request, body!, model, maxOutput, ct);
        if (outcome.Error is not null) return outcome.Error;

        // 6. Settle from usage (counted with the tokenizer when the upstream gave none); publishing happens in Finish.
        Settle(record, request, model, maxOutput, outcome);
        keyGate.RecordTokens(key, (record.Usage?.InputTokens ?? 0) + (record.Usage?.OutputTokens ?? 0));
        return null;
    }

    /// <summary>Charges what the upstream really used, estimated when absent, clamped to the hold when impossible.</summary>
    private void Settle(RelayRecord record, ChatRequest request, CatalogModel model, int maxOutput, RelayOutcome outcome)
    {
        var usage = outcome.Usage;
        if (usage is null)
        {
            var produced = outcome.OutputText ?? "";
            usage = produced.Length == 0 && !outcome.ProducedOutput && outcome.FailedBeforeOutput
                ? new Usage()
                : new Usage
                {
                    InputTokens = tokens.CountInput(TextExtraction.EnumerateInputText(request), request.Messages.Count + 1, TextExtraction.CountImages(request)),
                    OutputTokens = Math.Min(maxOutput, Math.Max(tokens.Count(produced), outcome.ProducedOutput ? 1 : 0)),
                };
            record.UsageEstimated = true;
        }
        if (usage.InputTokens < 0 || usage.OutputTokens < 0 || usage.CachedInputTokens < 0 || usage.ReasoningTokens < 0
            || usage.OutputTokens > maxOutput || usage.CachedInputTokens > usage.InputTokens)
        {
            usage = new Usage
            {
                InputTokens = Math.Max(0, usage.InputTokens),
                CachedInputTokens = Math.Clamp(usage.CachedInputTokens, 0, Math.Max(0, usage.InputTokens)),
                OutputTokens = Math.Clamp(usage.OutputTokens, 0, maxOutput),
                ReasoningTokens = Math.Clamp(usage.ReasoningTokens, 0, maxOutput),
            };
            record.UsageClamped = true;
        }
        record.Usage = usage;
        var cost = Micros.Cost(usage.InputTokens, usage.CachedInputTokens, usage.OutputTokens,
            model.Prices.InputMicrosPerM, model.Prices.CachedInputMicrosPerM, model.Prices.OutputMicrosPerM);
        if (cost > record.HeldMicros)
        {
            cost = record.HeldMicros;
            record.UsageClamped = true;
        }
        record.CostMicros = cost;
    }

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
        await ErrorWriters.WriteAsync(http, record.Format, error);
    }

    private void Finish(HttpContext http, RelayRecord record)
    {
        if (record.Status == 0) record.Status = http.Response.StatusCode;
        if (record.Lease is { } lease) leases.Complete(lease, record.HeldMicros, record.CostMicros);
        if (!record.KeyPresented) return;
        var latencyMs = Stopwatch.GetElapsedTime(record.StartTimestamp).TotalMilliseconds;
        events.Publish(record.ToMessage(latencyMs, http.Connection.RemoteIpAddress?.ToString(), http.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure while relaying")]
    private static partial void LogUnexpected(ILogger logger, Exception ex);
}
