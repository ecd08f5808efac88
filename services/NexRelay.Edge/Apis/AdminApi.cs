using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;
using NexRelay.Edge.Admin;
using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Auth;

namespace NexRelay.Edge.Apis;

/// <summary>
/// <c>/admin/v1/*</c>: requires the admin token (<see cref="NexRelayAuth.AdminPolicy"/>), then forwards to the owning service (keys → key-policy, wallets → billing,
/// logs and usage → logging, dead-letters/settlements → billing, dead-letters/logs → logging), which checks the token again.
/// Errors are ProblemDetails.
/// </summary>
internal static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        app.Map("/admin/v1/{resource}/{**rest}", ForwardAsync).WithTags("Admin").WithName("Admin").ExcludeFromDescription()
            .RequireAuthorization(NexRelayAuth.AdminPolicy);
        return app;
    }

    private static async Task ForwardAsync(HttpContext http, string resource, string? rest, IHttpClientFactory clients, ILoggerFactory loggers)
    {
        if (InternalServices.OwnerOf(resource, rest) is not { } owner)
        {
            await TypedResults.Problem(statusCode: 404, title: "Not Found", type: ProblemTypes.NotFound,
                detail: $"There is no admin resource '{resource}'. Use keys, wallets, logs or usage, or dead-letters/settlements or dead-letters/logs.")
                .ExecuteAsync(http);
            return;
        }
        var client = clients.CreateClient(owner);
        using var request = ForwardedCall.BuildRequest(http.Request, http.Request.Path.Value + http.Request.QueryString, withBody: true);
        request.Headers.TryAddWithoutValidation("Authorization", http.Request.Headers.Authorization.ToString());
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, http.RequestAborted);
            if ((int)response.StatusCode >= 500)
            {
                // A service's own failure (an exception page, a database error) is its internals, and its log already has
                // them: the body is neither forwarded nor logged again (an exception page can echo the request's tokens).
                loggers.CreateLogger("NexRelay.Edge.Admin").LogWarning("Admin call to {Service} answered {Status}", owner, (int)response.StatusCode);
                await ServiceFailed(owner, response.StatusCode == HttpStatusCode.ServiceUnavailable).ExecuteAsync(http);
                return;
            }
            await ForwardedCall.CopyResponseAsync(response, http);
        }
        catch (Exception ex) when (ForwardedCall.IsUnavailable(ex, http))
        {
            loggers.CreateLogger("NexRelay.Edge.Admin").LogWarning("Admin call to {Service} failed: {Error}", owner, ex.Message);
            await ServiceFailed(owner, unavailable: true).ExecuteAsync(http);
        }
    }

    private static ProblemHttpResult ServiceFailed(string owner, bool unavailable) => unavailable
        ? TypedResults.Problem(statusCode: 503, title: "Service Unavailable", type: ProblemTypes.ServiceUnavailable,
            detail: $"The {owner} service is unreachable; try again shortly.")
        : TypedResults.Problem(statusCode: 502, title: "Bad Gateway", type: ProblemTypes.ServiceError,
            detail: $"The {owner} service failed to answer this call; its log has the details.");
}
