using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using NexRelay.Billing.Holds;
using NexRelay.Billing.Telemetry;
using NexRelay.Contracts.Billing;

namespace NexRelay.Billing.Apis;

/// <summary>POST /internal/holds: the edge's one synchronous billing call per request. JSON is camelCase, as the contract records are.</summary>
public static partial class HoldsApi
{
    internal const long MaxHoldMicros = HoldRequest.MaxAmountMicros;

    public static RouteGroupBuilder MapHoldsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/internal/holds").WithTags("Holds");
        group.MapPost("/", PlaceHoldAsync).WithName("PlaceHold");
        return group;
    }

    public static async Task<Results<JsonHttpResult<HoldResponse>, ValidationProblem, ProblemHttpResult>> PlaceHoldAsync(
        HttpRequest httpRequest, HoldStore store, BillingMetrics metrics, TimeProvider clock, ILoggerFactory loggerFactory,
        Microsoft.Extensions.Options.IOptionsMonitor<BillingOptions> options, CancellationToken cancellationToken)
    {
        HoldRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(httpRequest.Body, HoldJsonContext.Default.HoldRequest, cancellationToken);
        }
        catch (JsonException ex)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [JsonField(ex.Path) ?? "body"] = [ex.Message] },
                type: ProblemTypes.InvalidRequest);
        }
        if (request is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["A JSON object is required."] },
                type: ProblemTypes.InvalidRequest);
        }

        var errors = Validate(request, clock.GetUtcNow(), out var periodKey);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, type: ProblemTypes.InvalidRequest);

        var outcome = await store.PlaceAsync(request.RequestId, request.WalletId, request.KeyId, request.AmountMicros, periodKey,
            request.BudgetMicros, cancellationToken);
        if (outcome is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown wallet",
                detail: $"walletId: no wallet {request.WalletId}.", type: ProblemTypes.NotFound);
        }

        if (outcome.Granted)
        {
            metrics.HoldGranted();
            return TypedResults.Json(new HoldResponse
            {
                Granted = true,
                NeededMicros = outcome.NeededMicros,
                BudgetPeriodKey = outcome.PeriodKey,
                HoldTimeoutSeconds = options.CurrentValue.HoldTimeoutSeconds,
            },
                HoldJsonContext.Default.HoldResponse);
        }

        metrics.HoldRefused(outcome.Shortfall!);
        LogRefused(loggerFactory.CreateLogger(typeof(HoldsApi)), request.RequestId, outcome.Shortfall!, outcome.NeededMicros, outcome.AvailableMicros);
        return TypedResults.Json(new HoldResponse
        {
            Granted = false,
            Shortfall = outcome.Shortfall,
            NeededMicros = outcome.NeededMicros,
            AvailableMicros = outcome.AvailableMicros,
            BudgetPeriodKey = periodKey,
        }, HoldJsonContext.Default.HoldResponse, statusCode: StatusCodes.Status402PaymentRequired);
    }

    internal static Dictionary<string, string[]> Validate(HoldRequest request, DateTimeOffset now, out string periodKey)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.RequestId) || request.RequestId.Length > 200)
            errors["requestId"] = ["Required, at most 200 characters."];
        if (request.WalletId == Guid.Empty) errors["walletId"] = ["Required."];
        if (request.KeyId == Guid.Empty) errors["keyId"] = ["Required."];
        if (request.AmountMicros is <= 0 or > MaxHoldMicros)
            errors["amountMicros"] = [$"Must be between 1 and {MaxHoldMicros} micro-USD."];
        if (request.BudgetMicros is < 0) errors["budgetMicros"] = ["Must not be negative."];
        if (!BudgetPeriods.TryGetKey(request.BudgetPeriod, now, out periodKey))
            errors["budgetPeriod"] = ["Must be total, day or month."];
        return errors;
    }

    /// <summary>"$.walletId" → "walletId".</summary>
    internal static string? JsonField(string? path) => path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null;

    [LoggerMessage(Level = LogLevel.Debug, Message = "Hold refused for {RequestId}: {Shortfall} short, needed {Needed}, available {Available}")]
    private static partial void LogRefused(ILogger logger, string requestId, string shortfall, long needed, long available);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(HoldRequest))]
[JsonSerializable(typeof(HoldResponse))]
[JsonSerializable(typeof(RenewRequest))]
[JsonSerializable(typeof(RenewResponse))]
internal sealed partial class HoldJsonContext : JsonSerializerContext;
