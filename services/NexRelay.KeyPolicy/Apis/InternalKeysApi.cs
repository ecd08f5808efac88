using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using NexRelay.Contracts.Keys;
using NexRelay.ServiceDefaults;

namespace NexRelay.KeyPolicy.Apis;

/// <summary>
/// Lookup by hash for the edge's cache: <c>POST /internal/keys/lookup</c> <c>{"key_hash":"…"}</c> → <see cref="KeySnapshot"/>
/// in <see cref="KeySnapshotJson"/> (snake_case), the same JSON as the Redis entry it also refreshes (never over a newer
/// version, and without holding the answer up for long when Redis is down). Not exposed by the edge.
/// </summary>
internal static class InternalKeysApi
{
    public static RouteGroupBuilder MapInternalKeysApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/internal/keys").WithTags("Internal");
        group.MapPost("/lookup", LookupAsync).WithName("LookupKey");
        return group;
    }

    public static async Task<Results<JsonHttpResult<KeySnapshot>, ProblemHttpResult, ValidationProblem>> LookupAsync(
        HttpRequest request, [AsParameters] KeyServices services, CancellationToken ct)
    {
        KeyLookupRequest? lookup;
        try
        {
            lookup = await JsonSerializer.DeserializeAsync<KeyLookupRequest>(request.Body, KeySnapshotJson.Options, ct);
        }
        catch (JsonException)
        {
            lookup = null;
        }
        if (lookup is null || string.IsNullOrEmpty(lookup.KeyHash))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["key_hash"] = ["Send {\"key_hash\": \"<64 hex characters>\"}."] },
                type: ProblemTypes.InvalidRequest);

        var key = KeyHash.LooksLikeHash(lookup.KeyHash) ? await services.Store.GetByHashAsync(lookup.KeyHash, ct) : null;
        if (key is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Key not found", detail: "No key has this hash.",
                type: ProblemTypes.NotFound);
        var snapshot = key.ToSnapshot();
        await services.Snapshots.TryWriteAsync(lookup.KeyHash, snapshot);
        return TypedResults.Json(snapshot, KeySnapshotJson.Options);
    }
}
