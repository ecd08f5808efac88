using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NexRelay.ServiceDefaults.Auth;

namespace NexRelay.ServiceDefaults.Internal;

/// <summary>
/// The token the services share for <c>/internal/*</c> (holds, leases, wallet and budget reads on billing; key lookups on
/// key-policy): <c>NexRelay:InternalToken</c>, env NEXRELAY_INTERNAL_TOKEN via the AppHost. Those endpoints move and
/// reserve money, so the network policy is not their only guard.
/// </summary>
public sealed class InternalAuthOptions
{
    [Required(ErrorMessage = "NexRelay:InternalToken is required (NEXRELAY_INTERNAL_TOKEN through the AppHost)."),
     MinLength(16, ErrorMessage = "NexRelay:InternalToken must be at least 16 characters.")]
    public string InternalToken { get; set; } = "";

    /// <summary>
    /// <c>NexRelay:InternalTokenPrevious</c>: during a rotation, the value being retired, still accepted on /internal/* so
    /// callers not yet restarted keep working; never sent (calls carry <see cref="InternalToken"/>). Empty outside a rotation.
    /// </summary>
    public string InternalTokenPrevious { get; set; } = "";
}

public static class InternalAuth
{
    /// <summary>The header internal calls carry the token in (never Authorization, which admin calls use).</summary>
    public const string HeaderName = "X-NexRelay-Internal-Token";

    public const string PathPrefix = "/internal";

    /// <summary>
    /// Binds and validates <see cref="InternalAuthOptions"/> (a service that serves or calls /internal/* does not start
    /// without it) and adds the scheme that requires the token on the whole /internal prefix.
    /// </summary>
    public static IServiceCollection AddInternalAuth(this IServiceCollection services)
    {
        // The edge's holds, keys and admin clients each call this; the options and the handler are registered once.
        if (services.Any(d => d.ServiceType == typeof(InternalTokenHandler))) return services;
        services.AddOptions<InternalAuthOptions>().BindConfiguration("NexRelay").ValidateDataAnnotations()
            .Validate(o => o.InternalTokenPrevious.Length is 0 or >= 16, "NexRelay:InternalTokenPrevious must be empty or at least 16 characters.")
            .ValidateOnStart();
        services.TryAddTransient<InternalTokenHandler>();
        // Served under /internal by the same authentication as admin calls (NexRelayAuth.UseNexRelayAuth).
        services.AddInternalTokenScheme();
        return services;
    }

    /// <summary>
    /// Sends the internal token on every call of this client. Only for clients of NexRelay's own services. Once per client
    /// however many registrations configure it (the edge's "billing" client is both the hold client and the admin one).
    /// </summary>
    public static IHttpClientBuilder AddInternalToken(this IHttpClientBuilder builder) =>
        builder.ConfigureAdditionalHttpMessageHandlers((handlers, services) =>
        {
            if (!handlers.OfType<InternalTokenHandler>().Any()) handlers.Add(services.GetRequiredService<InternalTokenHandler>());
        });
}

/// <summary>Sets <see cref="InternalAuth.HeaderName"/> on each request, replacing any value a caller set.</summary>
public sealed class InternalTokenHandler(IOptions<InternalAuthOptions> options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Remove(InternalAuth.HeaderName);
        request.Headers.TryAddWithoutValidation(InternalAuth.HeaderName, options.Value.InternalToken);
        return base.SendAsync(request, cancellationToken);
    }
}
