using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NexRelay.ServiceDefaults.Internal;

namespace NexRelay.Billing.Client;

public static class BillingClientExtensions
{
    /// <summary>
    /// Registers <see cref="IHoldService"/> (per-request holds over HTTP to billing, named client "billing"), the replica's
    /// <see cref="CreditLeases"/> (hosted: it closes idle leases), the <see cref="ReservationKeeper"/> (hosted: it renews
    /// reservations still needed) and their <c>Holds</c> / <c>Holds:Leases</c> settings.
    /// </summary>
    public static IHostApplicationBuilder AddBillingClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HoldClientOptions>().BindConfiguration(HoldClientOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHttpClient(HttpHoldService.HttpClientName, (sp, client) =>
        {
            var settings = sp.GetRequiredService<IOptions<HoldClientOptions>>().Value;
            client.BaseAddress = new Uri(settings.BillingBaseAddress);
            // Each attempt has its own shorter timeout in HttpHoldService; this is only a backstop.
            client.Timeout = TimeSpan.FromMilliseconds(settings.AttemptTimeoutMilliseconds * (settings.MaxAttempts + 1));
        }).AddInternalToken();
        builder.Services.AddInternalAuth();
        builder.Services.AddSingleton<IHoldService, HttpHoldService>();
        builder.Services.AddOptions<LeaseOptions>().BindConfiguration(LeaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<CreditLeases>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CreditLeases>());
        builder.Services.AddSingleton<ReservationKeeper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ReservationKeeper>());
        return builder;
    }
}
