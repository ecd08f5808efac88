using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using NexRelay.Billing.Holds;
using NexRelay.Billing.Wallets;
using NexRelay.Contracts.Money;

namespace NexRelay.Billing.Apis;

/// <summary>Reads for the edge's self-service endpoints (cluster-internal, like /internal/holds).</summary>
public static class InternalApi
{
    public static RouteGroupBuilder MapInternalApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/internal").WithTags("Internal");
        group.MapGet("/wallets/{id}", WalletsApi.GetWalletAsync).WithName("GetWalletInternal");
        group.MapGet("/budgets/{keyId}", GetBudgetAsync).WithName("GetBudget");
        return group;
    }

    public static async Task<Results<Ok<BudgetBody>, ValidationProblem>> GetBudgetAsync(string keyId,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "budget_micros")] string? budgetMicros, string? period,
        WalletStore store, TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Guid.TryParse(keyId, out var key)) errors["keyId"] = ["A key id (uuid)."];
        long? budget = null;
        if (budgetMicros is not null)
        {
            if (long.TryParse(budgetMicros, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)) budget = parsed;
            else errors["budget_micros"] = ["A non-negative integer of micro-USD."];
        }
        if (!BudgetPeriods.TryGetKey(period, clock.GetUtcNow(), out var periodKey)) errors["period"] = ["total, day or month."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, type: ProblemTypes.InvalidRequest);

        var bucket = await store.GetBudgetAsync(key, periodKey, cancellationToken);
        decimal? remaining = budget is { } b ? Micros.ToUsd(Math.Max(0, b - bucket.Spent - bucket.Reserved)) : null;
        return TypedResults.Ok(new BudgetBody(bucket.PeriodKey, Micros.ToUsd(bucket.Spent), Micros.ToUsd(bucket.Reserved), remaining));
    }
}
