using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Errors;

/// <summary>
/// Routing's own refusals — no route for the path (404), or none for the method (405) — answered as the vendors answer an
/// unknown URL (OpenAI: 404 <c>unknown_url</c>), in the envelope of the API the path belongs to, so an SDK reads an error
/// instead of an empty body (the guess at that API: <see cref="FormatRegistry.ForUnmatchedPath"/>).
/// </summary>
internal static class UnmatchedRoutes
{
    public static IApplicationBuilder UseUnmatchedRouteErrors(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        await next(http);
        var response = http.Response;
        // A route of ours that answered 404 wrote its own body; routing's 405 endpoint is a bare Endpoint, not a RouteEndpoint.
        if (response.HasStarted || response.StatusCode is not (404 or 405) || http.GetEndpoint() is RouteEndpoint) return;
        if (HttpMethods.IsHead(http.Request.Method)) return;
        var what = $"{http.Request.Method} {http.Request.Path}";
        var error = response.StatusCode == 405
            ? new EdgeError(ErrorKind.InvalidRequest, $"Method not allowed: {what}. This route accepts {response.Headers.Allow}.", "method_not_allowed",
                StatusOverride: 405)
            : new EdgeError(ErrorKind.NotFound, $"Unknown request URL: {what}. See /docs for the routes NexRelay serves.", "unknown_url");
        await ErrorWriters.WriteAsync(http, FormatRegistry.ForUnmatchedPath(http.Request), error);
    });
}
