using NexRelay.Contracts.Billing;

namespace NexRelay.Billing.Client;

/// <summary>
/// A per-request hold at billing: reserve a request's worst-case cost before the upstream call. The relay uses it when the
/// request gets no credit lease (<see cref="CreditLeases"/>): a small balance or budget, or a large worst case.
/// </summary>
public interface IHoldService
{
    /// <summary>
    /// Granted, or refused with the shortfall (wallet or budget) — answer 402 in the caller's format.
    /// Throws <see cref="BillingUnavailableException"/> when billing cannot be reached in time — answer 503 in the caller's
    /// format and make no upstream call.
    /// </summary>
    Task<HoldResponse> HoldAsync(HoldRequest request, CancellationToken cancellationToken);
}

/// <summary>Billing did not answer the hold (unreachable, timed out, or an unexpected reply). No upstream call may be made.</summary>
public sealed class BillingUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);
