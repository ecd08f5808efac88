using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using NexRelay.Contracts.Responses;
using NexRelay.Logging.Logs;
using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Auth;

namespace NexRelay.Logging.Responses;

/// <summary>
/// Stored Responses API responses, for the edge (which stores each one a key's request asked to keep, and reads it back for
/// <c>previous_response_id</c> and <c>/api/v1/responses/{id}</c>). Every read and delete names the owner's wallet: a response
/// of another wallet is 404, never 403.
/// </summary>
public static class StoredResponsesApi
{
    private const int MaxIdLength = 256;

    public static RouteGroupBuilder MapStoredResponsesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin/v1/responses").WithTags("Stored responses").RequireAuthorization(NexRelayAuth.AdminPolicy);
        group.MapPut("/{id}", PutAsync).WithName("StoreResponse");
        group.MapGet("/{id}", GetAsync).WithName("GetStoredResponse");
        group.MapDelete("/{id}", DeleteAsync).WithName("DeleteStoredResponse");
        return group;
    }

    public static async Task<Results<Created, Ok, ValidationProblem>> PutAsync(string id, StoredResponse body, StoredResponseStore store,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (id.Length > MaxIdLength || body.Id != id) errors["id"] = [$"'id' must match the path and be at most {MaxIdLength} characters."];
        if (body.Input.ValueKind != JsonValueKind.Array) errors["input"] = ["'input' must be a JSON array of items."];
        if (body.Response.ValueKind != JsonValueKind.Object) errors["response"] = ["'response' must be a JSON object."];
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, detail: $"Invalid stored response: {string.Join(", ", errors.Keys)}.",
                title: "Invalid stored response", type: ProblemTypes.InvalidRequest);
        }
        return await store.InsertAsync(body, cancellationToken) ? TypedResults.Created() : TypedResults.Ok();
    }

    public static async Task<Results<Ok<StoredResponse>, ProblemHttpResult, ValidationProblem>> GetAsync(string id,
        [FromQuery(Name = "wallet_id")] string? walletId, StoredResponseStore store, CancellationToken cancellationToken)
    {
        var parser = new QueryParser();
        if (parser.Uuid("wallet_id", walletId) is not { } wallet) return Invalid(parser);
        var stored = id.Length <= MaxIdLength ? await store.GetAsync(id, wallet, cancellationToken) : null;
        return stored is null ? NotFound(id) : TypedResults.Ok(stored);
    }

    public static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> DeleteAsync(string id,
        [FromQuery(Name = "wallet_id")] string? walletId, StoredResponseStore store, CancellationToken cancellationToken)
    {
        var parser = new QueryParser();
        if (parser.Uuid("wallet_id", walletId) is not { } wallet) return Invalid(parser);
        return id.Length <= MaxIdLength && await store.DeleteAsync(id, wallet, cancellationToken) ? TypedResults.NoContent() : NotFound(id);
    }

    private static ProblemHttpResult NotFound(string id) => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
        detail: $"No stored response with id '{(id.Length > MaxIdLength ? id[..MaxIdLength] + "…" : id)}'.", type: ProblemTypes.NotFound);

    private static ValidationProblem Invalid(QueryParser parser)
    {
        var errors = parser.IsValid ? new Dictionary<string, string[]> { ["wallet_id"] = ["'wallet_id' is required."] } : parser.Errors;
        return TypedResults.ValidationProblem(errors, detail: "The owner's wallet_id (a UUID) is required.", title: "Invalid query parameter",
            type: ProblemTypes.InvalidRequest);
    }
}
