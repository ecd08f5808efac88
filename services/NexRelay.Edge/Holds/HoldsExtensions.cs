using NexRelay.Billing.Client;
using NexRelay.Edge.Events;

namespace NexRelay.Edge.Holds;

public static class HoldsExtensions
{
    /// <summary>
    /// Billing's client (<see cref="BillingClientExtensions.AddBillingClient"/>: holds, credit leases, the reservation keeper),
    /// the edge's one entry to it (<see cref="Reservations"/>), and the keeper told of the edge's event confirmations.
    /// </summary>
    public static IHostApplicationBuilder AddEdgeHolds(this IHostApplicationBuilder builder)
    {
        builder.AddBillingClient();
        builder.Services.AddSingleton<Reservations>();
        builder.Services.AddSingleton<IEventConfirmations, KeeperConfirmations>();
        return builder;
    }
}

/// <summary>
/// The edge's publisher reports which settlement events RabbitMQ confirmed (<see cref="IEventConfirmations"/>, an edge
/// concept: its spool and journal); the keeper, in billing's client, only needs to hear it. This adapter keeps the client
/// free of the edge.
/// </summary>
internal sealed class KeeperConfirmations(ReservationKeeper keeper) : IEventConfirmations
{
    public void Unconfirmed(IEnumerable<Contracts.Messages.RequestCompleted> events) => keeper.Unconfirmed(events);

    public void Confirmed(IReadOnlyList<Contracts.Messages.RequestCompleted> events) => keeper.Confirmed(events);
}
