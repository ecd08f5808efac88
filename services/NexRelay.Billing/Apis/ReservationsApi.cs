using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using NexRelay.Billing.Holds;
using NexRelay.Contracts.Billing;

namespace NexRelay.Billing.Apis;

/// <summary>
/// POST /internal/reservations/renew: an edge says which of its holds and leases still have requests running, so the orphan
/// sweep (<see cref="HoldExpiryService"/>) leaves them alone however long a stream runs (README, "Charging rules").
/// </summary>
public static class ReservationsApi
{
    /// <summary>One call renews at most this many of each (an edge sends its live reservations in chunks).</summary>
    internal const int MaxIds = 10_000;

    public static RouteGroupBuilder MapReservationsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/internal/reservations").WithTags("Holds");
        group.MapPost("/renew", RenewAsync).WithName("RenewReservations");
        return group;
    }

    public static async Task<Results<JsonHttpResult<RenewResponse>, ValidationProblem>> RenewAsync(HttpRequest httpRequest,
        ReservationStore store, CancellationToken cancellationToken)
    {
        RenewRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(httpRequest.Body, HoldJsonContext.Default.RenewRequest, cancellationToken);
        }
        catch (JsonException ex)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [ex.Message] }, type: ProblemTypes.InvalidRequest);
        }
        var errors = new Dictionary<string, string[]>();
        // A property left out is an empty list (the generated deserializer leaves it null).
        IReadOnlyList<string> holdIds = request?.Holds ?? [], leaseIds = request?.Leases ?? [];
        if (request is null) errors["body"] = ["A JSON object is required."];
        if (holdIds.Count > MaxIds || holdIds.Any(string.IsNullOrEmpty)) errors["holds"] = [$"At most {MaxIds} request ids, none empty."];
        if (leaseIds.Count > MaxIds || leaseIds.Any(string.IsNullOrEmpty)) errors["leases"] = [$"At most {MaxIds} lease ids, none empty."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, type: ProblemTypes.InvalidRequest);

        var (holds, leases) = await store.RenewAsync(holdIds, leaseIds, cancellationToken);
        return TypedResults.Json(new RenewResponse { Holds = holds, Leases = leases }, HoldJsonContext.Default.RenewResponse);
    }
}
