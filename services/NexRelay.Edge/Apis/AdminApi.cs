using NexRelay.Edge.Admin;
using NexRelay.Edge.Docs;
using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Auth;

namespace NexRelay.Edge.Apis;

/// <summary>
/// <c>/admin/v1/*</c>: requires the admin token (<see cref="NexRelayAuth.AdminPolicy"/>), then forwards the call as it came
/// (<see cref="AdminForwarder"/>) to the owning service (keys → key-policy, wallets and redemption-codes → billing, logs and usage → logging,
/// dead-letters/settlements → billing, dead-letters/logs → logging), which checks the token again. Errors are ProblemDetails.
/// One route rather than one <c>MapForwarder</c> per owner: the owner is read from the path, and an unknown resource is a
/// 404 that lists the real ones.
/// </summary>
internal static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        app.Map("/admin/v1/{resource}/{**rest}", ForwardAsync).WithTags("Admin").WithName("Admin").ExcludeFromDescription()
            .WithForwardedApiDocs([.. AdminApiDocs.All])
            .RequireAuthorization(NexRelayAuth.AdminPolicy);
        return app;
    }

    private static async Task ForwardAsync(HttpContext http, string resource, string? rest, AdminForwarder forwarder)
    {
        if (InternalServices.OwnerOf(resource, rest) is not { } owner)
        {
            await TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found", type: ProblemTypes.NotFound,
                detail: $"There is no admin resource '{resource}'. Use keys, wallets, redemption-codes, logs or usage, or dead-letters/settlements or dead-letters/logs.")
                .ExecuteAsync(http);
            return;
        }
        await forwarder.ForwardAsync(http, owner);
    }
}
