using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using NexRelay.Billing.Holds;
using NexRelay.Billing.Leases;
using NexRelay.Billing.Telemetry;
using NexRelay.Contracts.Billing;

namespace NexRelay.Billing.Apis;

/// <summary>
/// Credit leases (docs/architecture.md, "Money"): an edge replica reserves a slice of a wallet once and holds per request in memory against it.
/// Cluster-internal like /internal/holds, and camelCase JSON as the contract records are. A refusal is a 200 with
/// <c>granted: false</c>: the edge then falls back to per-request holds, which give the exact answer.
/// </summary>
public static partial class LeasesApi
{
    internal const int MaxShareDivisor = 64;
    internal const int MaxReserveSeconds = 3600;
    private const int MaxLeaseIdLength = 200;

    public static RouteGroupBuilder MapLeasesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/internal/leases").WithTags("Leases");
        group.MapPost("/", OpenLeaseAsync).WithName("OpenLease");
        group.MapPost("/{leaseId}/close", CloseLeaseAsync).WithName("CloseLease");
        return group;
    }

    public static async Task<Results<JsonHttpResult<LeaseResponse>, ValidationProblem, ProblemHttpResult>> OpenLeaseAsync(
        HttpRequest httpRequest, LeaseStore store, BillingMetrics metrics, TimeProvider clock, ILoggerFactory loggerFactory,
        Microsoft.Extensions.Options.IOptionsMonitor<BillingOptions> options, CancellationToken cancellationToken)
    {
        var (request, readErrors) = await ReadAsync(httpRequest, LeaseJsonContext.Default.LeaseRequest, cancellationToken);
        if (request is null) return TypedResults.ValidationProblem(readErrors!, type: ProblemTypes.InvalidRequest);

        var now = clock.GetUtcNow();
        var errors = Validate(request, now, out var periodKey, out var reserveUntil);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, type: ProblemTypes.InvalidRequest);

        var outcome = await store.OpenAsync(request.LeaseId, request.WalletId, request.KeyId, request.TargetMicros, request.MinimumMicros,
            request.ShareDivisor, periodKey, request.BudgetMicros, reserveUntil, cancellationToken);
        if (outcome is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown wallet",
                detail: $"walletId: no wallet {request.WalletId}.", type: ProblemTypes.NotFound);
        }

        if (outcome.Granted) metrics.LeaseGranted(outcome.GrantedMicros);
        else
        {
            metrics.LeaseRefused(outcome.Shortfall!);
            LogRefused(loggerFactory.CreateLogger(typeof(LeasesApi)), request.LeaseId, outcome.Shortfall!, request.MinimumMicros,
                outcome.AvailableMicros, request.ShareDivisor);
        }
        return TypedResults.Json(new LeaseResponse
        {
            Granted = outcome.Granted,
            GrantedMicros = outcome.GrantedMicros,
            Shortfall = outcome.Shortfall,
            AvailableMicros = outcome.AvailableMicros,
            BudgetPeriodKey = outcome.PeriodKey,
            ReserveUntil = outcome.ReserveUntil,
            HoldTimeoutSeconds = options.CurrentValue.HoldTimeoutSeconds,
        }, LeaseJsonContext.Default.LeaseResponse);
    }

    public static async Task<Results<JsonHttpResult<LeaseCloseResponse>, ValidationProblem, ProblemHttpResult>> CloseLeaseAsync(
        string leaseId, HttpRequest httpRequest, LeaseStore store, BillingMetrics metrics, ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var (request, readErrors) = await ReadAsync(httpRequest, LeaseJsonContext.Default.LeaseCloseRequest, cancellationToken);
        if (request is null) return TypedResults.ValidationProblem(readErrors!, type: ProblemTypes.InvalidRequest);
        var errors = new Dictionary<string, string[]>();
        if (leaseId.Length > MaxLeaseIdLength) errors["leaseId"] = [$"At most {MaxLeaseIdLength} characters."];
        if (request.SpentMicros < 0) errors["spentMicros"] = ["Must not be negative."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, type: ProblemTypes.InvalidRequest);

        var outcome = await store.CloseAsync(leaseId, request.SpentMicros, cancellationToken);
        if (outcome.State == "unknown")
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown lease",
                detail: $"leaseId: no lease {leaseId}.", type: ProblemTypes.NotFound);
        }
        metrics.LeaseClosed(outcome.State, outcome.ReleasedMicros);
        LogClosed(loggerFactory.CreateLogger(typeof(LeasesApi)), leaseId, outcome.State, request.SpentMicros, outcome.GrantedMicros,
            outcome.ReleasedMicros);
        return TypedResults.Json(new LeaseCloseResponse
        {
            State = outcome.State,
            GrantedMicros = outcome.GrantedMicros,
            CapturedMicros = outcome.CapturedMicros,
            ReleasedMicros = outcome.ReleasedMicros,
        }, LeaseJsonContext.Default.LeaseCloseResponse);
    }

    internal static Dictionary<string, string[]> Validate(LeaseRequest request, DateTimeOffset now, out string periodKey,
        out DateTimeOffset reserveUntil)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.LeaseId) || request.LeaseId.Length > MaxLeaseIdLength)
            errors["leaseId"] = [$"Required, at most {MaxLeaseIdLength} characters."];
        if (request.WalletId == Guid.Empty) errors["walletId"] = ["Required."];
        if (request.KeyId == Guid.Empty) errors["keyId"] = ["Required."];
        if (request.TargetMicros is <= 0 or > HoldsApi.MaxHoldMicros)
            errors["targetMicros"] = [$"Must be between 1 and {HoldsApi.MaxHoldMicros} micro-USD."];
        if (request.MinimumMicros <= 0 || request.MinimumMicros > request.TargetMicros)
            errors["minimumMicros"] = ["Must be at least 1 and at most targetMicros."];
        if (request.ShareDivisor is < 1 or > MaxShareDivisor) errors["shareDivisor"] = [$"Must be between 1 and {MaxShareDivisor}."];
        if (request.ReserveSeconds is < 1 or > MaxReserveSeconds)
            errors["reserveSeconds"] = [$"Must be between 1 and {MaxReserveSeconds} seconds."];
        if (request.BudgetMicros is < 0) errors["budgetMicros"] = ["Must not be negative."];

        reserveUntil = now.AddSeconds(Math.Clamp(request.ReserveSeconds, 1, MaxReserveSeconds));
        if (!BudgetPeriods.TryGetKey(request.BudgetPeriod, now, out periodKey) || !BudgetPeriods.TryGetEnd(request.BudgetPeriod, now, out var end))
        {
            errors["budgetPeriod"] = ["Must be total, day or month."];
        }
        else if (end < reserveUntil)
        {
            // Holds placed against the lease count in its bucket, so the lease ends with the bucket.
            reserveUntil = end.Value;
        }
        return errors;
    }

    private static async Task<(T? Value, Dictionary<string, string[]>? Errors)> ReadAsync<T>(HttpRequest request,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken) where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync(request.Body, typeInfo, cancellationToken);
            return value is null ? (null, new() { ["body"] = ["A JSON object is required."] }) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, new() { [HoldsApi.JsonField(ex.Path) ?? "body"] = [ex.Message] });
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lease {LeaseId} refused: {Shortfall} short, minimum {Minimum}, available {Available} (divisor {Divisor})")]
    private static partial void LogRefused(ILogger logger, string leaseId, string shortfall, long minimum, long available, int divisor);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lease {LeaseId} close: {State}, spent {Spent} of {Granted}, released {Released}")]
    private static partial void LogClosed(ILogger logger, string leaseId, string state, long spent, long granted, long released);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(LeaseRequest))]
[JsonSerializable(typeof(LeaseResponse))]
[JsonSerializable(typeof(LeaseCloseRequest))]
[JsonSerializable(typeof(LeaseCloseResponse))]
internal sealed partial class LeaseJsonContext : JsonSerializerContext;
