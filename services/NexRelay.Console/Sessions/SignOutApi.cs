using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;

namespace NexRelay.Console.Sessions;

internal static class SignOutApi
{
    /// <summary>
    /// <c>POST /signout</c>: ends the session, for a form of this site only (its anti-forgery token is checked here: another
    /// site cannot sign a person out, SameSite=Strict aside).
    /// </summary>
    public static IEndpointRouteBuilder MapSignOut(this IEndpointRouteBuilder app)
    {
        app.MapPost("/signout", SignOutAsync).DisableAntiforgery().ExcludeFromDescription();
        return app;
    }

    private static async Task<Results<RedirectHttpResult, BadRequest<string>>> SignOutAsync(HttpContext http, IAntiforgery antiforgery)
    {
        if (!await antiforgery.IsRequestValidAsync(http)) return TypedResults.BadRequest("This form has expired or did not come from this site. Reload the page and try again.");
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.LocalRedirect("/signin?signedout=1");
    }
}
