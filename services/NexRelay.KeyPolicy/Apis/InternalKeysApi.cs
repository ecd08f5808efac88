using Microsoft.AspNetCore.Http.HttpResults;
using NexRelay.Contracts.Keys;
using NexRelay.KeyPolicy.Keys;

namespace NexRelay.KeyPolicy.Apis;

/// <summary>
/// Lookup by hash for the edge's cache: <c>GET /internal/keys/by-hash/{hash}</c> → <see cref="KeySnapshot"/> in
/// <see cref="KeySnapshotJson"/> (snake_case), the same JSON as the Redis entry it also refreshes. Not exposed by the edge.
/// </summary>
internal static class InternalKeysApi
{
    public static RouteGroupBuilder MapInternalKeysApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/internal/keys").WithTags("Internal");
        group.MapGet("/by-hash/{hash}", GetByHashAsync).WithName("GetKeyByHash");
        return group;
    }

    public static async Task<Results<JsonHttpResult<KeySnapshot>, ProblemHttpResult>> GetByHashAsync(
        string hash, [AsParameters] KeyServices services, CancellationToken ct)
    {
        var key = KeyHash.LooksLikeHash(hash) ? await services.Store.GetByHashAsync(hash, ct) : null;
        if (key is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Key not found", detail: "No key has this hash.",
                type: KeysApi.ProblemTypes.NotFound);
        var snapshot = key.ToSnapshot();
        await services.Notifier.WriteSnapshotAsync(hash, snapshot);
        return TypedResults.Json(snapshot, KeySnapshotJson.Options);
    }
}
