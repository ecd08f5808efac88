using NexRelay.Contracts.Messages;

namespace NexRelay.Edge.Events;

/// <summary>
/// Told which finished requests' events RabbitMQ has confirmed, and which events a previous process left unconfirmed on
/// disk. Until its event is confirmed, a finished request's reservation is still needed: billing captures it only when the
/// settlement arrives, and one released first would be captured late, perhaps from money already spent again
/// (<c>Holds/ReservationKeeper</c> keeps such reservations alive; docs in services/NexRelay.Billing/README.md, "Charging rules").
/// </summary>
public interface IEventConfirmations
{
    /// <summary>Events found in the spool at start (written by a process that stopped or was killed before RabbitMQ confirmed them).</summary>
    void Unconfirmed(IEnumerable<RequestCompleted> events);

    /// <summary>RabbitMQ confirmed these events: their settlements are on their way to billing.</summary>
    void Confirmed(IReadOnlyList<RequestCompleted> events);
}

/// <summary>For a host without reservations to keep (the publisher's own tests).</summary>
internal sealed class NoEventConfirmations : IEventConfirmations
{
    public static readonly NoEventConfirmations Instance = new();

    public void Unconfirmed(IEnumerable<RequestCompleted> events)
    {
    }

    public void Confirmed(IReadOnlyList<RequestCompleted> events)
    {
    }
}
