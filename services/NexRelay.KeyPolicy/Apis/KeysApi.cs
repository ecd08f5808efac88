using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NexRelay.Contracts.Keys;
using NexRelay.KeyPolicy.Keys;
using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Auth;

namespace NexRelay.KeyPolicy.Apis;

/// <summary>Admin API for keys (<c>/admin/v1/keys</c>), reached through the edge, which forwards admin calls verbatim.</summary>
internal static class KeysApi
{
    public static RouteGroupBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin/v1/keys").WithTags("Keys").RequireAuthorization(NexRelayAuth.AdminPolicy);
        group.MapPost("/", CreateKeyAsync).WithName("CreateKey");
        group.MapGet("/", ListKeysAsync).WithName("ListKeys");
        group.MapGet("/{id}", GetKeyAsync).WithName("GetKey");
        group.MapPatch("/{id}", UpdateKeyAsync).WithName("UpdateKey");
        group.MapPost("/{id}/rotate", RotateKeyAsync).WithName("RotateKey");
        group.MapDelete("/{id}", RevokeKeyAsync).WithName("RevokeKey");
        return group;
    }

    public static async Task<Results<Created<KeyResponse>, ValidationProblem>> CreateKeyAsync(
        HttpRequest request, [AsParameters] KeyServices services, CancellationToken ct)
    {
        var (body, bodyError) = await ReadBodyAsync(request, ct);
        if (bodyError is not null) return bodyError;
        var errors = KeyFields.ParseCreate(body, out var walletId, out var settings);
        if (errors.Count > 0) return Invalid(errors);

        var secret = KeyHash.Generate();
        var key = await services.Store.InsertAsync(
            Guid.CreateVersion7(), walletId, KeyHash.Compute(services.Options.Value.KeyHashSecret, secret), KeyHash.Hint(secret), settings, ct);
        await services.Notifier.KeyCreatedAsync(key, ct);
        return TypedResults.Created($"/admin/v1/keys/{key.Id}", KeyResponse.From(key, secret));
    }

    /// <summary>
    /// Keys newest first, keyset-paged, filtered by wallet, state and <c>q</c>: a key id (that key), a key's hint
    /// (<c>nrk_…4f2a</c>, as request logs show it) or a part of the name (any case). The default page holds 100 keys, so a
    /// caller that lists one wallet's few keys still gets them all on one page.
    /// </summary>
    public static async Task<Results<Ok<KeyList>, ValidationProblem>> ListKeysAsync([AsParameters] KeyListQuery query,
        [AsParameters] KeyServices services, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var page = CreatedPageQuery.Parse(query.Limit, query.Cursor, KeyListQuery.DefaultLimit, KeyListQuery.MaxLimit, errors);
        var filter = query.Filter(errors);
        if (errors.Count > 0) return Invalid(errors);

        var keys = await services.Store.ListAsync(filter, page.Before, page.PageSize + 1, ct);
        var next = page.TrimToPage(keys, k => new CreatedCursor(k.CreatedAt, k.Id));
        return TypedResults.Ok(new KeyList(keys.ConvertAll(k => KeyResponse.From(k)), next));
    }

    public static async Task<Results<Ok<KeyResponse>, ProblemHttpResult>> GetKeyAsync(string id, [AsParameters] KeyServices services, CancellationToken ct)
    {
        var key = Guid.TryParse(id, out var keyId) ? await services.Store.GetAsync(keyId, ct) : null;
        return key is null ? NotFound(id) : TypedResults.Ok(KeyResponse.From(key));
    }

    public static async Task<Results<Ok<KeyResponse>, ValidationProblem, ProblemHttpResult>> UpdateKeyAsync(
        string id, HttpRequest request, [AsParameters] KeyServices services, CancellationToken ct)
    {
        var (body, bodyError) = await ReadBodyAsync(request, ct);
        if (bodyError is not null) return bodyError;
        var current = Guid.TryParse(id, out var keyId) ? await services.Store.GetAsync(keyId, ct) : null;
        if (current is null) return NotFound(id);

        // Optimistic concurrency: re-apply the patch on a fresh read if someone else changed the key meanwhile.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (current.State == KeyStates.Revoked) return Revoked(id);
            var errors = KeyFields.ParsePatch(body, current.Settings, out var settings);
            if (errors.Count > 0) return Invalid(errors);

            await using (var change = await services.Store.BeginChangeAsync(ct))
            {
                var updated = await services.Store.UpdateSettingsAsync(change, current.Id, current.Version, settings, ct);
                if (updated is not null)
                {
                    return await services.Notifier.PublishAndCommitAsync(change, updated, "updated", replacedHash: null, ct)
                        ? TypedResults.Ok(KeyResponse.From(updated))
                        : NotAnnounced(id);
                }
            }
            current = await services.Store.GetAsync(keyId, ct);
            if (current is null) return NotFound(id);
        }
        return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Concurrent update",
            detail: $"Key {id} kept changing while this update was applied; retry.", type: ProblemTypes.Conflict);
    }

    public static async Task<Results<Ok<KeyResponse>, ProblemHttpResult>> RotateKeyAsync(string id, [AsParameters] KeyServices services, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var keyId)) return NotFound(id);
        var secret = KeyHash.Generate();
        await using (var change = await services.Store.BeginChangeAsync(ct))
        {
            var rotated = await services.Store.RotateAsync(change, keyId, KeyHash.Compute(services.Options.Value.KeyHashSecret, secret), KeyHash.Hint(secret), ct);
            if (rotated is { } r)
            {
                return await services.Notifier.PublishAndCommitAsync(change, r.Key, "rotated", r.OldHash, ct)
                    ? TypedResults.Ok(KeyResponse.From(r.Key, secret))
                    : NotAnnounced(id);
            }
        }
        return await services.Store.GetAsync(keyId, ct) is null ? NotFound(id) : Revoked(id);
    }

    public static async Task<Results<Ok<KeyResponse>, ProblemHttpResult>> RevokeKeyAsync(string id, [AsParameters] KeyServices services, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var keyId)) return NotFound(id);
        await using var change = await services.Store.BeginChangeAsync(ct);
        var key = await services.Store.RevokeAsync(change, keyId, ct);
        if (key is null) return NotFound(id);
        return await services.Notifier.PublishAndCommitAsync(change, key, "revoked", replacedHash: null, ct)
            ? TypedResults.Ok(KeyResponse.From(key))
            : NotAnnounced(id);
    }

    private static async Task<(JsonElement Body, ValidationProblem? Error)> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (!request.HasJsonContentType())
            return (default, Invalid(new() { ["body"] = ["Send a JSON object with Content-Type: application/json."] }));
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
            return (document.RootElement.Clone(), null);
        }
        catch (JsonException ex)
        {
            return (default, Invalid(new() { ["body"] = [$"The body is not valid JSON: {ex.Message}"] }));
        }
    }

    private static ValidationProblem Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: $"Invalid field(s): {string.Join(", ", errors.Keys)}.", type: ProblemTypes.InvalidRequest);

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Key not found", detail: $"No key with id {id}.", type: ProblemTypes.NotFound);

    /// <summary>The change could not be announced to the edges, so it was rolled back (see <see cref="KeyChangeNotifier"/>).</summary>
    private static ProblemHttpResult NotAnnounced(string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Change not applied",
            detail: $"Key {id} was left unchanged: the edges could not be told about the change (message broker unreachable). Retry shortly.",
            type: ProblemTypes.ServiceUnavailable);

    private static ProblemHttpResult Revoked(string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Key revoked",
            detail: $"Key {id} is revoked and can no longer be changed or rotated.", type: ProblemTypes.Conflict);
}

internal sealed record KeyServices(KeyStore Store, KeyChangeNotifier Notifier, KeySnapshotWriter Snapshots, IOptions<KeyPolicyOptions> Options);
