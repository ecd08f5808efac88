using Microsoft.Extensions.Options;

namespace NexRelay.Edge.Holds;

public static class HoldsExtensions
{
    /// <summary>Registers <see cref="IHoldService"/> (HTTP to billing, named client "billing") and its <c>Holds</c> settings.</summary>
    public static IHostApplicationBuilder AddEdgeHolds(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HoldClientOptions>().BindConfiguration(HoldClientOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHttpClient(HttpHoldService.HttpClientName, (sp, client) =>
        {
            var settings = sp.GetRequiredService<IOptions<HoldClientOptions>>().Value;
            client.BaseAddress = new Uri(settings.BillingBaseAddress);
            // Each attempt has its own shorter timeout in HttpHoldService; this is only a backstop.
            client.Timeout = TimeSpan.FromMilliseconds(settings.AttemptTimeoutMilliseconds * (settings.MaxAttempts + 1));
        });
        builder.Services.AddSingleton<IHoldService, HttpHoldService>();
        return builder;
    }
}
