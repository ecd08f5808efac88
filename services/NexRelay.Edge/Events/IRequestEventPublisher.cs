using NexRelay.Contracts.Messages;

namespace NexRelay.Edge.Events;

/// <summary>Hands a finished request's event to the background publisher. Never blocks on RabbitMQ; never loses the event.</summary>
public interface IRequestEventPublisher
{
    void Publish(RequestCompleted message);
}
