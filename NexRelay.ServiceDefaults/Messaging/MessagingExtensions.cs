using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace NexRelay.ServiceDefaults.Messaging;

public static class MessagingExtensions
{
    /// <summary>
    /// MassTransit over RabbitMQ from <c>ConnectionStrings:messaging</c> (an amqp:// URI). Endpoints are kebab-case,
    /// messages persistent, publishes confirmed; MassTransit adds its bus health check to /health.
    /// </summary>
    public static IHostApplicationBuilder AddNexRelayMessaging(this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator>? configure = null,
        Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator>? configureBus = null)
    {
        var connectionString = builder.Configuration.GetConnectionString(ResourceNames.Messaging);
        if (string.IsNullOrWhiteSpace(connectionString) || !Uri.TryCreate(connectionString, UriKind.Absolute, out var uri))
        {
            throw new InvalidOperationException(
                $"Missing or invalid RabbitMQ connection string: set ConnectionStrings:{ResourceNames.Messaging} to an amqp:// URI (env ConnectionStrings__{ResourceNames.Messaging}).");
        }

        builder.Services.AddMassTransit(x =>
        {
            x.SetKebabCaseEndpointNameFormatter();
            // A broker outage degrades a service but does not make it unready: the edge spools events, billing still
            // answers holds, and consumers catch up when RabbitMQ is back. /health still names the bus and its state.
            x.ConfigureHealthCheckOptions(o => o.MinimalFailureStatus = Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded);
            configure?.Invoke(x);
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(uri, h =>
                {
                    h.PublisherConfirmation = true;
                    h.RequestedConnectionTimeout(TimeSpan.FromSeconds(10));
                });
                configureBus?.Invoke(context, cfg);
                cfg.ConfigureEndpoints(context);
            });
        });
        builder.Services.Configure<MassTransitHostOptions>(o =>
        {
            // Start without blocking: a RabbitMQ outage must not stop the service from serving; /health reports it.
            o.WaitUntilStarted = false;
            o.StopTimeout = TimeSpan.FromSeconds(15);
        });
        return builder;
    }
}
