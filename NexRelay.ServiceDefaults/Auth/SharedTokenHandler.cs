using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace NexRelay.ServiceDefaults.Auth;

/// <summary>One scheme's shared secret: where the caller presents it and how a refusal reads.</summary>
public sealed class SharedTokenOptions : AuthenticationSchemeOptions
{
    /// <summary>The expected token, hashed once (set from the service's validated options).</summary>
    public SecretToken? Expected { get; set; }

    /// <summary>The token the caller presented, or "" (never logged).</summary>
    public Func<HttpRequest, string> Presented { get; set; } = _ => "";

    /// <summary>The refusal's ProblemDetails <c>type</c> (from <see cref="ProblemTypes"/>) and <c>detail</c>.</summary>
    public string ProblemType { get; set; } = ProblemTypes.AdminToken;

    public string RefusalDetail { get; set; } = "";

    /// <summary>Whether a refusal says <c>WWW-Authenticate: Bearer</c> (the token travels in <c>Authorization</c>).</summary>
    public bool BearerChallenge { get; set; }
}

/// <summary>
/// Authenticates a caller that presents a shared secret (the admin token, the internal token), compared in constant time
/// by <see cref="SecretToken"/>; refuses with a 401 ProblemDetails. Neither the token nor its hash is ever logged: the
/// failure message only says that it did not match.
/// </summary>
public sealed class SharedTokenHandler(IOptionsMonitor<SharedTokenOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<SharedTokenOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Options.Presented(Request);
        if (presented.Length == 0) return Task.FromResult(AuthenticateResult.NoResult());
        if (Options.Expected is not { } expected || !expected.Matches(presented))
            return Task.FromResult(AuthenticateResult.Fail("The presented token does not match."));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(authenticationType: Scheme.Name));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Options.BearerChallenge) Response.Headers.WWWAuthenticate = "Bearer";
        return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: Options.RefusalDetail,
            type: Options.ProblemType).ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "This token may not make this call.",
            type: ProblemTypes.Forbidden).ExecuteAsync(Context);
}
