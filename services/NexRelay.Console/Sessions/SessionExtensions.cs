using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace NexRelay.Console.Sessions;

internal static class SessionExtensions
{
    /// <summary>Where Data Protection keeps its key ring in Redis: every console replica encrypts and reads cookies alike.</summary>
    internal const string KeyRingKey = "nexrelay:console:data-protection-keys";

    /// <summary>The request header of the requests page's live refresh: it must not count as activity (see the idle timeout).</summary>
    internal const string LiveRefreshHeader = "X-Console-Live";

    /// <summary>
    /// Sessions: one cookie, HttpOnly, SameSite=Strict, Secure whenever the request is HTTPS, sliding expiry as the idle
    /// timeout, encrypted with Data Protection whose key ring lives in Redis. See docs/architecture.md, "Console".
    /// </summary>
    public static IServiceCollection AddConsoleSessions(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("NexRelay.Console");
        services.AddOptions<KeyManagementOptions>().Configure<IConnectionMultiplexer>((o, redis) =>
            o.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), KeyRingKey));

        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme).Configure<IOptions<ConsoleOptions>>((o, console) =>
        {
            o.Cookie.Name = "nexrelay-console";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = console.Value.IdleTimeout;
            o.SlidingExpiration = true;
            o.LoginPath = "/signin";
            o.LogoutPath = "/signout";
            o.AccessDeniedPath = "/denied";
            o.Events.OnCheckSlidingExpiration = context =>
            {
                // The live refresh polls on its own; only what a person does keeps the session alive. (The sliding renewal is
                // decided here, before OnValidatePrincipal: clearing ShouldRenew there left every poll renewing the cookie,
                // so an open requests page never timed out; IdleTimeoutTests.)
                if (context.Request.Headers.ContainsKey(LiveRefreshHeader)) context.ShouldRenew = false;
                return Task.CompletedTask;
            };
        });
        services.AddAuthorization();
        services.AddCascadingAuthenticationState();
        services.AddScoped<SignIn>();
        return services;
    }

    public static ConsoleSession Session(this HttpContext http) =>
        ConsoleSession.From(http.User) ?? throw new InvalidOperationException("No console session: the page must require authorization.");
}
