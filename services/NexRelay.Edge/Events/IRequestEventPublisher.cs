using NexRelay.Contracts.Messages;

namespace NexRelay.Edge.Events;

/// <summary>Hands a finished request's event to the background publisher. Never blocks on RabbitMQ; never loses the event.</summary>
public interface IRequestEventPublisher
{
    void Publish(RequestCompleted message);

    /// <summary>
    /// The spool has reached <see cref="EdgeEventsOptions.SpoolMaxBytes"/>: no new paid request may start (its event could
    /// only go to a full spool), though events of requests already under way are still taken.
    /// </summary>
    bool Backlogged { get; }
}
