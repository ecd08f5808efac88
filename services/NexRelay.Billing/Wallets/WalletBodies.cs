using NexRelay.Contracts.Money;

namespace NexRelay.Billing.Wallets;

// HTTP bodies of the admin and internal wallet APIs (snake_case on the wire, USD as decimal numbers).

public sealed record CreateWalletBody(string? Name);

public sealed record CreditBody(decimal? AmountUsd, string? Reference);

public sealed record WalletBody(Guid Id, string Name, decimal BalanceUsd, decimal ReservedUsd, decimal AvailableUsd, DateTimeOffset CreatedAt)
{
    public static WalletBody From(Wallet w) =>
        new(w.Id, w.Name, Micros.ToUsd(w.Balance), Micros.ToUsd(w.Reserved), Micros.ToUsd(w.Balance - w.Reserved), w.CreatedAt);
}

/// <summary>A page of <c>GET /admin/v1/wallets</c>; <c>next_cursor</c> is null on the last page.</summary>
public sealed record WalletPageBody(IReadOnlyList<WalletBody> Data, string? NextCursor);

public sealed record LedgerEntryBody(long Id, Guid WalletId, string Kind, decimal AmountUsd, decimal BalanceDeltaUsd, decimal ReservedDeltaUsd,
    decimal BalanceAfterUsd, decimal ReservedAfterUsd, string? RequestId, string? Reference, string[] Flags, string? Note, DateTimeOffset CreatedAt)
{
    public static LedgerEntryBody From(LedgerEntry e) => new(e.Id, e.WalletId, e.Kind, Micros.ToUsd(e.Amount), Micros.ToUsd(e.BalanceDelta),
        Micros.ToUsd(e.ReservedDelta), Micros.ToUsd(e.BalanceAfter), Micros.ToUsd(e.ReservedAfter), e.RequestId, e.Reference, e.Flags, e.Note, e.CreatedAt);
}

public sealed record LedgerPageBody(IReadOnlyList<LedgerEntryBody> Data, string? NextCursor);

public sealed record BudgetBody(string PeriodKey, decimal UsedUsd, decimal ReservedUsd, decimal? RemainingUsd);
