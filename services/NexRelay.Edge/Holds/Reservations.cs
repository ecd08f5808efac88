using NexRelay.Billing.Client;
using NexRelay.Contracts.Billing;

namespace NexRelay.Edge.Holds;

/// <summary>Where a request's worst case is reserved (docs/architecture.md, "money invariants").</summary>
internal enum ReservationKind : byte
{
    /// <summary>Nothing held: the request was refused before, or its model is free.</summary>
    None,
    /// <summary>In memory, against this replica's credit lease for the key.</summary>
    Lease,
    /// <summary>A per-request hold at billing.</summary>
    Hold,
    /// <summary>Billing did not answer the hold: it may or may not have committed it. Compensated by a settlement at zero.</summary>
    UnknownOutcome,
}

/// <summary>
/// One request's reservation: how much was held for it, where, and under which budget period. A value (no allocation per
/// request); ended once by <see cref="Reservations.Complete"/>.
/// </summary>
internal readonly record struct Reservation(ReservationKind Kind, string? RequestId, long HeldMicros, string? BudgetPeriodKey, CreditLease? Lease)
{
    /// <summary>The amount is reserved: the request may go to an upstream.</summary>
    public bool Placed => Kind is ReservationKind.Lease or ReservationKind.Hold;
}

/// <summary>What <see cref="Reservations.ReserveAsync"/> answered: a reservation, billing's refusal, or billing unavailable.</summary>
internal readonly record struct ReserveResult(Reservation Reservation, HoldResponse? Refusal)
{
    /// <summary>Billing did not answer: no upstream call may be made (the reservation is the compensation, settled at zero).</summary>
    public bool BillingUnavailable => Reservation.Kind == ReservationKind.UnknownOutcome;
}

/// <summary>
/// The edge's one way to reserve money for a request and to end the reservation. <see cref="ReserveAsync"/> chooses: in memory
/// against this replica's credit lease for the key when it has (or can take) one, else a per-request hold at billing. When
/// the request is over, <see cref="Complete"/> turns the reservation into the request's cost (priced once, by
/// Charging/UsagePrice, never above what was held) and keeps it alive until its settlement is confirmed (the
/// <see cref="ReservationKeeper"/>). A hold whose outcome is unknown is compensated explicitly: it is settled at zero, which
/// releases it if billing committed it and records nothing otherwise.
/// </summary>
internal sealed partial class Reservations(IHoldService holds, CreditLeases leases, ReservationKeeper keeper, ILogger<Reservations> logger)
{
    /// <summary>
    /// Reserves <paramref name="request"/>'s worst case. Not cancelled by the client: a hold billing committed while the client
    /// left must be known, so that it is settled.
    /// </summary>
    public async ValueTask<ReserveResult> ReserveAsync(HoldRequest request)
    {
        try
        {
            if (await leases.TryReserveAsync(request) is { } lease)
                return new(new Reservation(ReservationKind.Lease, request.RequestId, request.AmountMicros, lease.BudgetPeriodKey, lease), null);

            var hold = await holds.HoldAsync(request, CancellationToken.None);
            if (!hold.Granted) return new(default, hold);
            keeper.Track(request.RequestId, hold.HoldTimeoutSeconds);
            return new(new Reservation(ReservationKind.Hold, request.RequestId, request.AmountMicros, hold.BudgetPeriodKey, null), null);
        }
        catch (BillingUnavailableException ex)
        {
            LogBillingUnavailable(logger, ex.Message); // billing's own words (a problem body, a route) stay here
            return new(Compensation(request), null);
        }
    }

    /// <summary>
    /// A hold billing may have committed although it did not say so: settled at zero cost when the request ends (its event
    /// carries the amount and no cost), instead of being left to billing's orphan sweep.
    /// </summary>
    private static Reservation Compensation(HoldRequest request) =>
        new(ReservationKind.UnknownOutcome, request.RequestId, request.AmountMicros, null, null);

    /// <summary>
    /// The request is over and was charged <paramref name="costMicros"/> (from Charging/UsagePrice: within the hold). Returns
    /// the cost its settlement carries: the charge, or zero for the compensation of an unknown hold. When
    /// <paramref name="settlementPublished"/>, the reservation stays alive until RabbitMQ confirms the settlement's event.
    /// </summary>
    public long Complete(in Reservation reservation, long costMicros, bool settlementPublished)
    {
        switch (reservation.Kind)
        {
            case ReservationKind.Lease:
                leases.Complete(reservation.Lease!, reservation.HeldMicros, costMicros);
                if (settlementPublished) keeper.AwaitSettlement(reservation.Lease!);
                return costMicros;
            case ReservationKind.Hold:
                // Tracked since it was placed; no event to settle it means nothing left to keep alive.
                if (!settlementPublished) keeper.Release(reservation.RequestId!);
                return costMicros;
            case ReservationKind.UnknownOutcome:
                return 0;
            default:
                return costMicros;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No hold for the request: {Reason}")]
    private static partial void LogBillingUnavailable(ILogger logger, string reason);
}
