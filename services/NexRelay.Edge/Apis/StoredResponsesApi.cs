using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Edge.Docs;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Relay;
using NexRelay.Edge.Responses;
using NexRelay.Edge.Translation;
using NexRelay.Edge.Translation.OpenAI;

namespace NexRelay.Edge.Apis;

/// <summary>
/// The Responses API's stored responses, as OpenAI answers them: <c>GET</c> and <c>DELETE /responses/{id}</c> and
/// <c>GET /responses/{id}/input_items</c>, under <c>/api/v1</c> and <c>/v1</c> like <c>POST /responses</c>. Only the calling
/// key's owner's responses exist here: another wallet's id is a 404 (docs/architecture.md, "Stored responses").
/// </summary>
internal static class StoredResponsesApi
{
    private const int DefaultLimit = 20;
    private const int MaxLimit = 100;

    public static IEndpointRouteBuilder MapStoredResponsesApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in new[] { "/api/v1", "/v1" })
        {
            var suffix = prefix == "/v1" ? "V1" : "";
            var group = app.MapGroup(prefix + "/responses").WithTags("OpenAI").Speaks(ClientFormat.OpenAIResponses).RequireKey();
            group.MapGet("/{id}", GetAsync).WithName($"GetResponse{OpenAIApi.Suffix(prefix)}").WithApiDoc(PublicApiDocs.GetResponse, suffix);
            group.MapDelete("/{id}", DeleteAsync).WithName($"DeleteResponse{OpenAIApi.Suffix(prefix)}").WithApiDoc(PublicApiDocs.DeleteResponse, suffix);
            group.MapGet("/{id}/input_items", ListInputItemsAsync).WithName($"ListInputItems{OpenAIApi.Suffix(prefix)}")
                .WithApiDoc(PublicApiDocs.ListInputItems, suffix);
        }
        return app;
    }

    private static async Task GetAsync(HttpContext http, string id, ResponseStore store)
    {
        if (await FindAsync(http, id, store) is not { } stored) return;
        await WriteJsonAsync(http, stored.Response);
    }

    private static async Task DeleteAsync(HttpContext http, string id, ResponseStore store)
    {
        var deleted = id.Length <= IStoredResponses.MaxIdLength ? await store.DeleteAsync(id, http.AdmittedKey().WalletId, http.RequestAborted) : false;
        if (deleted is null) { await ErrorWriters.WriteAsync(http, http.ClientFormat(), StoreUnavailable()); return; }
        if (deleted == false) { await ErrorWriters.WriteAsync(http, http.ClientFormat(), NotFound(id)); return; }
        await http.Response.WriteAsJsonAsync(new JsonObject { ["id"] = id, ["object"] = "response", ["deleted"] = true }, http.RequestAborted);
    }

    private static async Task ListInputItemsAsync(HttpContext http, string id, ResponseStore store)
    {
        var query = http.Request.Query;
        var limit = DefaultLimit;
        if (query["limit"].ToString() is { Length: > 0 } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            await ErrorWriters.WriteAsync(http, http.ClientFormat(),
                EdgeError.BadRequest($"Invalid 'limit': '{Cut(limitText)}'. It must be an integer from 1 to {MaxLimit}.", "limit"));
            return;
        }
        var order = query["order"].ToString();
        if (order is not ("" or "asc" or "desc"))
        {
            await ErrorWriters.WriteAsync(http, http.ClientFormat(), EdgeError.BadRequest($"Invalid 'order': '{Cut(order)}'. Supported values are: 'asc' and 'desc'.", "order"));
            return;
        }
        if (await FindAsync(http, id, store) is not { } stored) return;
        var after = query["after"].ToString() is { Length: > 0 } a ? a : null;
        await http.Response.WriteAsJsonAsync(ResponsesState.ListInputItems(stored.Id, stored.Input, limit, order == "asc", after), http.RequestAborted);
    }

    /// <summary>The caller's owner's stored response, or null once the refusal (404, 503) is written.</summary>
    private static async Task<Contracts.Responses.StoredResponse?> FindAsync(HttpContext http, string id, ResponseStore store)
    {
        if (id.Length > IStoredResponses.MaxIdLength)
        {
            await ErrorWriters.WriteAsync(http, http.ClientFormat(), NotFound(id));
            return null;
        }
        var found = await store.GetAsync(id, http.AdmittedKey().WalletId, http.RequestAborted);
        if (found.Response is { } response) return response;
        await ErrorWriters.WriteAsync(http, http.ClientFormat(), found.Unavailable ? StoreUnavailable() : NotFound(id));
        return null;
    }

    private static async Task WriteJsonAsync(HttpContext http, JsonElement json)
    {
        http.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(http.Response.Body);
        json.WriteTo(writer);
        await writer.FlushAsync(http.RequestAborted);
    }

    private static EdgeError NotFound(string id) => new(ErrorKind.NotFound, $"Response with id '{Cut(id)}' not found.", "not_found");

    private static EdgeError StoreUnavailable() => new(ErrorKind.Unavailable, "Stored responses cannot be read right now; try again shortly.", "store_unavailable");

    private static string Cut(string text) => text.Length > 100 ? text[..100] + "…" : text;
}
