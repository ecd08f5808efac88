using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using NexRelay.Logging.Logs;
using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Auth;

namespace NexRelay.Logging.Apis;

/// <summary>
/// Request-log queries. The edge forwards admin calls verbatim and self-service calls with <c>key_id</c> forced to the
/// caller's key, so <c>key_id</c> is the isolation boundary: a row of another key is 404, never 403.
/// </summary>
public static class LogsApi
{
    public static RouteGroupBuilder MapLogsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin/v1").WithTags("Logs").RequireAuthorization(NexRelayAuth.AdminPolicy);
        group.MapGet("/logs", ListLogsAsync).WithName("ListLogs");
        group.MapGet("/logs/{request_id}", GetLogAsync).WithName("GetLog");
        group.MapGet("/usage", GetUsageAsync).WithName("GetUsage");
        return group;
    }

    /// <summary>Newest first, keyset-paged; with <c>Accept: text/csv</c> every matching row is streamed as CSV instead.</summary>
    public static async Task<Results<Ok<LogPage>, CsvExportResult, ValidationProblem>> ListLogsAsync(
        [AsParameters] LogListQuery query, HttpRequest request, RequestLogStore store, CancellationToken cancellationToken)
    {
        var parser = new QueryParser();
        var filter = parser.Filter(query.WalletId, query.KeyId, query.Model, query.Status, query.From, query.To);
        var limit = parser.Limit(query.Limit);
        var cursor = parser.Cursor(query.Cursor);
        if (!parser.IsValid) return Invalid(parser);

        if (WantsCsv(request))
        {
            // An export is every matching row unless the caller asked for a limit.
            return new CsvExportResult(store.StreamAsync(filter, cursor, string.IsNullOrEmpty(query.Limit) ? null : limit, cancellationToken));
        }
        return TypedResults.Ok(await store.ListAsync(filter, cursor, limit, cancellationToken));
    }

    public static async Task<Results<Ok<LogEntry>, ProblemHttpResult, ValidationProblem>> GetLogAsync(
        [FromRoute(Name = "request_id")] string requestId, [FromQuery(Name = "key_id")] string? keyId,
        RequestLogStore store, CancellationToken cancellationToken)
    {
        var parser = new QueryParser();
        var key = parser.Uuid("key_id", keyId);
        if (!parser.IsValid) return Invalid(parser);

        var entry = requestId.Length <= 256 ? await store.GetAsync(requestId, cancellationToken) : null;
        if (entry is null || (key is { } k && entry.KeyId != k))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: $"No request log with request_id '{requestId}'.", type: ProblemTypes.NotFound);
        }
        return TypedResults.Ok(entry);
    }

    public static async Task<Results<Ok<UsageReport>, ValidationProblem>> GetUsageAsync(
        [AsParameters] UsageQuery query, RequestLogStore store, CancellationToken cancellationToken)
    {
        var parser = new QueryParser();
        var filter = parser.Filter(query.WalletId, query.KeyId, query.Model, query.Status, query.From, query.To);
        var grouping = parser.Grouping(query.GroupBy);
        if (!parser.IsValid) return Invalid(parser);
        return TypedResults.Ok(await store.UsageAsync(filter, grouping, cancellationToken));
    }

    private static ValidationProblem Invalid(QueryParser parser) => TypedResults.ValidationProblem(parser.Errors,
        detail: $"Invalid query parameter(s): {string.Join(", ", parser.Errors.Keys)}.", title: "Invalid query parameter",
        type: ProblemTypes.InvalidRequest);

    private static bool WantsCsv(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase));
}
