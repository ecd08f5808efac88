using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NexRelay.ServiceDefaults.Internal;

namespace NexRelay.ServiceDefaults.Auth;

/// <summary>
/// One authentication for every service (docs/architecture.md): the operator's admin token on <c>/admin/*</c> (scheme
/// <see cref="AdminScheme"/>, policy <see cref="AdminPolicy"/>, required by each admin route group), and the services'
/// internal token on the whole <c>/internal</c> prefix (scheme <see cref="InternalScheme"/>). Both are <see cref="SharedTokenHandler"/>.
/// </summary>
public static class NexRelayAuth
{
    public const string AdminScheme = "AdminToken";
    public const string InternalScheme = "InternalToken";

    /// <summary>The policy admin route groups require: <c>.RequireAuthorization(NexRelayAuth.AdminPolicy)</c>.</summary>
    public const string AdminPolicy = "Admin";

    public const string AdminPathPrefix = "/admin";

    public const string AdminRefusal =
        "Admin endpoints need Authorization: Bearer <admin token> (NEXRELAY_ADMIN_TOKEN). Customer API keys are not accepted here.";

    /// <summary>
    /// Adds the admin scheme and policy. The token comes from the service's own options (<typeparamref name="TOptions"/>),
    /// which validate it at start against the shared minimum (<see cref="AdminTokenAttribute"/>).
    /// </summary>
    public static IServiceCollection AddAdminAuthentication<TOptions>(this IServiceCollection services, Func<TOptions, string> adminToken)
        where TOptions : class
    {
        services.AddAuthentication().AddScheme<SharedTokenOptions, SharedTokenHandler>(AdminScheme, configureOptions: null);
        services.AddOptions<AdminTokenRotationOptions>().BindConfiguration("NexRelay")
            .Validate(o => o.AdminTokenPrevious.Length == 0 || AdminTokenAttribute.IsLongEnough(o.AdminTokenPrevious), AdminTokenRotationOptions.Requirement)
            .ValidateOnStart();
        services.AddOptions<SharedTokenOptions>(AdminScheme).Configure<IOptions<TOptions>, IOptions<AdminTokenRotationOptions>>((o, admin, rotation) =>
        {
            o.Expected = new SecretToken(adminToken(admin.Value), rotation.Value.AdminTokenPrevious);
            o.Presented = request => SecretToken.FromBearer(request.Headers.Authorization.ToString());
            o.ProblemType = ProblemTypes.AdminToken;
            o.RefusalDetail = AdminRefusal;
            o.BearerChallenge = true;
        });
        services.AddAuthorizationBuilder().AddPolicy(AdminPolicy, p => p.AddAuthenticationSchemes(AdminScheme).RequireAuthenticatedUser());
        return services;
    }

    /// <summary>The internal scheme; <see cref="InternalAuth.AddInternalAuth"/> adds it with the token's options.</summary>
    internal static IServiceCollection AddInternalTokenScheme(this IServiceCollection services)
    {
        services.AddAuthentication().AddScheme<SharedTokenOptions, SharedTokenHandler>(InternalScheme, configureOptions: null);
        services.AddOptions<SharedTokenOptions>(InternalScheme).Configure<IOptions<InternalAuthOptions>>((o, internalAuth) =>
        {
            o.Expected = new SecretToken(internalAuth.Value.InternalToken, internalAuth.Value.InternalTokenPrevious);
            o.Presented = request => request.Headers[InternalAuth.HeaderName].ToString();
            o.ProblemType = ProblemTypes.InternalToken;
            o.RefusalDetail =
                $"Internal endpoints are for NexRelay's own services: they need the {InternalAuth.HeaderName} header (NexRelay:InternalToken).";
        });
        return services;
    }

    /// <summary>
    /// Authorization for <c>/admin</c> and <c>/internal</c> paths only, and the internal token required on the whole
    /// <c>/internal</c> prefix (new internal endpoints are covered too), checked before a handler binds a body.
    /// </summary>
    public static WebApplication UseNexRelayAuth(this WebApplication app)
    {
        var guardsInternal = app.Services.GetRequiredService<IOptions<AuthenticationOptions>>().Value.SchemeMap.ContainsKey(InternalScheme);
        app.UseWhen(http => http.Request.Path.StartsWithSegments(AdminPathPrefix) || http.Request.Path.StartsWithSegments(InternalAuth.PathPrefix),
            branch =>
            {
                if (guardsInternal) branch.UseWhen(http => http.Request.Path.StartsWithSegments(InternalAuth.PathPrefix), b => b.Use(RequireInternalTokenAsync));
                branch.UseAuthorization();
            });
        // WebApplication would otherwise put both middlewares in front of every request, the edge's hot path included (a
        // feature object, a policy lookup per request). Policies name their scheme, so no authentication middleware is
        // needed; an endpoint that requires authorization outside these prefixes fails loudly ("no authorization middleware").
        var properties = ((IApplicationBuilder)app).Properties;
        properties["__AuthenticationMiddlewareSet"] = true;
        properties["__AuthorizationMiddlewareSet"] = true;
        return app;
    }

    private static async Task RequireInternalTokenAsync(HttpContext http, RequestDelegate next)
    {
        var result = await http.AuthenticateAsync(InternalScheme);
        if (!result.Succeeded)
        {
            await http.ChallengeAsync(InternalScheme);
            return;
        }
        http.User = result.Principal;
        await next(http);
    }
}

/// <summary>
/// <c>NexRelay:AdminTokenPrevious</c>: during a rotation of the admin token, the value being retired, still accepted (never
/// sent: the edge forwards admin calls with the current <c>NexRelay:AdminToken</c>). Empty outside a rotation.
/// </summary>
public sealed class AdminTokenRotationOptions
{
    public static readonly string Requirement =
        $"Setting NexRelay:AdminTokenPrevious (env NexRelay__AdminTokenPrevious) must be empty or at least {AdminTokenAttribute.MinLength} characters.";

    public string AdminTokenPrevious { get; set; } = "";
}
