using MassTransit;
using MassTransit.Middleware;
using Microsoft.Extensions.DependencyInjection;

namespace NexRelay.ServiceDefaults.Messaging.DeadLetters;

public static class DeadLetterExtensions
{
    /// <summary>The dead-letter store (over the service's own <c>dead_letters</c> table) and the consumer queue's address.</summary>
    public static IServiceCollection AddDeadLetters(this IServiceCollection services)
    {
        services.AddSingleton<DeadLetterStore>();
        services.AddSingleton<ConsumerQueue>();
        return services;
    }

    /// <summary>
    /// A request-event consumer's endpoint: a message whose processing failed transiently (<see cref="MessageFailure"/>) is
    /// retried, whole, until it goes through (backing off from 100 ms to 30 s), never dead-lettered: a database that is down
    /// for an hour costs an hour of delay, not a pile of dead letters. Poison events never get here (the consumer isolates
    /// and records them); a message MassTransit cannot read at all, or one that failed outside that isolation, goes to the
    /// endpoint's <c>_error</c> queue as by default, and is counted with <paramref name="deadLettered"/>. Records the
    /// endpoint's address in <paramref name="queue"/> for re-queued dead letters.
    /// </summary>
    public static void UseDeadLetters(this IReceiveEndpointConfigurator endpoint, ConsumerQueue queue, Action<string> deadLettered)
    {
        queue.Address = endpoint.InputAddress;
        endpoint.UseMessageRetry(r =>
        {
            r.Handle<Exception>(MessageFailure.IsTransient);
            r.Exponential(int.MaxValue, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(400));
        });
        endpoint.ConfigureError(x =>
        {
            x.UseExecute(context => deadLettered(context.Exception is System.Runtime.Serialization.SerializationException or System.Text.Json.JsonException
                ? DeadLetterKinds.Unreadable : DeadLetterKinds.Faulted));
            x.UseFilter(new GenerateFaultFilter());
            x.UseFilter(new ErrorTransportFilter());
        });
    }
}
