using MassTransit;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NexRelay.ServiceDefaults.Auth;
using NexRelay.Billing.Apis;
using NexRelay.Billing.Holds;
using NexRelay.Billing.Leases;
using NexRelay.Billing.Notifications;
using NexRelay.Billing.Payments;
using NexRelay.Billing.Redemption;
using NexRelay.Billing.Settlement;
using NexRelay.Billing.Telemetry;
using NexRelay.Billing.Wallets;
using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Data;
using NexRelay.ServiceDefaults.Messaging;
using NexRelay.ServiceDefaults.Messaging.DeadLetters;
using NexRelay.ServiceDefaults.Internal;

namespace NexRelay.Billing.Extensions;

internal static class Extensions
{
    public static IHostApplicationBuilder AddBillingServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<BillingOptions>().BindConfiguration(BillingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        builder.AddPostgresWithMigrations(ResourceNames.BillingDb, typeof(Extensions).Assembly);
        builder.AddNexRelayMessaging(x => x.AddConsumer<SettleRequestConsumer, SettleRequestConsumerDefinition>());

        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        builder.Services.AddProblemDetails();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<BillingMetrics>();
        builder.Services.AddSingleton<ReservationCensus>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ReservationCensus>());
        builder.Services.AddSingleton<HoldStore>();
        builder.Services.AddSingleton<LeaseStore>();
        builder.Services.AddSingleton<ReservationStore>();
        builder.Services.AddSingleton<SettlementStore>();
        builder.Services.AddSingleton<WalletStore>();
        builder.Services.AddSingleton<RedemptionStore>();
        RedemptionOptions.Add(builder.Services);
        builder.Services.AddOptions<StripeOptions>().BindConfiguration(StripeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<CheckoutStore>();
        builder.Services.AddSingleton<StripeCheckouts>();
        builder.Services.AddSingleton<StripeWebhooks>();
        builder.Services.AddDeadLetters();
        builder.Services.AddAdminAuthentication<AdminOptions>(o => o.AdminToken);
        builder.Services.AddInternalAuth();
        builder.Services.AddHostedService<HoldExpiryService>();

        builder.Services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<NotificationStore>();
        builder.Services.AddSingleton<NotificationSignal>();
        builder.Services.AddSingleton<WebhookSender>();
        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<NotificationOptions>>().Value;
            return new WebhookAddressGuard(o.AllowedHosts, o.AllowHttpForAllowedHosts, WebhookAddressGuard.DnsResolveAsync);
        });
        builder.Services.AddHostedService<NotificationWorker>();
        return builder;
    }

    public static WebApplication MapBillingApi(this WebApplication app)
    {
        app.UseNexRelayAuth();
        app.MapHoldsApi();
        app.MapLeasesApi();
        app.MapReservationsApi();
        app.MapInternalApi();
        app.MapWalletsApi();
        app.MapNotificationsApi();
        app.MapRedemptionCodesApi();
        app.MapPaymentsApi();
        app.MapDeadLettersApi("/admin/v1/dead-letters/settlements").RequireAuthorization(NexRelayAuth.AdminPolicy);
        return app;
    }
}
