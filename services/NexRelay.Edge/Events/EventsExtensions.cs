using NexRelay.ServiceDefaults.Internal;
using Microsoft.Extensions.Options;

namespace NexRelay.Edge.Events;

internal static class EventsExtensions
{
    /// <summary>
    /// <see cref="IRequestEventPublisher"/> with its background publisher, its write-ahead journal and durable spool. Call after
    /// <c>AddNexRelayMessaging</c>: hosted services stop in reverse order, so the publisher drains before the bus stops.
    /// </summary>
    public static IHostApplicationBuilder AddEdgeEvents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EdgeEventsOptions>().BindConfiguration(EdgeEventsOptions.Section).ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.SpoolPath), "Edge:SpoolPath must not be empty.").ValidateOnStart();
        builder.Services.AddSingleton(sp => new EventSpool(
            Path.Combine(sp.GetRequiredService<IHostEnvironment>().ContentRootPath, sp.GetRequiredService<IOptions<EdgeEventsOptions>>().Value.SpoolPath),
            sp.GetRequiredService<ILogger<EventSpool>>()));
        builder.Services.AddSingleton(sp => new EventJournal(
            Path.Combine(sp.GetRequiredService<EventSpool>().Directory, "journal"), sp.GetRequiredService<EventSpool>(),
            sp.GetRequiredService<ILogger<EventJournal>>()));
        builder.Services.AddSingleton<EventMetrics>();
        builder.Services.AddHttpClient();
        builder.Services.AddSingleton<SpoolHandoff>();
        if (builder.Configuration[$"{EdgeEventsOptions.Section}:{nameof(EdgeEventsOptions.SpoolHandoffUrl)}"] is { Length: > 0 } peer)
        {
            builder.Services.AddInternalAuth();
            builder.Services.AddHttpClient(SpoolHandoff.HttpClientName, c => c.BaseAddress = new Uri(peer)).AddInternalToken();
        }
        builder.Services.AddSingleton(sp => new RequestEventPublisher(sp.GetRequiredService<MassTransit.IBus>(), sp.GetRequiredService<EventSpool>(),
            sp.GetRequiredService<EventJournal>(), sp.GetService<IEventConfirmations>() ?? NoEventConfirmations.Instance, sp.GetRequiredService<SpoolHandoff>(),
            sp.GetRequiredService<IOptions<EdgeEventsOptions>>(), sp.GetRequiredService<EventMetrics>(),
            sp.GetRequiredService<ILogger<RequestEventPublisher>>()));
        builder.Services.AddSingleton<IRequestEventPublisher>(sp => sp.GetRequiredService<RequestEventPublisher>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RequestEventPublisher>());
        builder.Services.AddHealthChecks().AddCheck<SpoolHealthCheck>("event-spool", tags: [Microsoft.Extensions.Hosting.Extensions.ReadinessTag]);
        return builder;
    }
}
