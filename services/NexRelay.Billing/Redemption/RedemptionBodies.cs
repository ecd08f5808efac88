using NexRelay.Contracts.Money;

namespace NexRelay.Billing.Redemption;

// HTTP bodies of the redemption-code APIs (snake_case on the wire, USD as decimal numbers).

public sealed record MintBody(decimal? AmountUsd, int? Count, DateTimeOffset? ExpiresAt, string? Note);

public sealed record VoidCodeBody(string? Code);

/// <summary><c>POST /internal/redemptions</c>: the edge passes the code as the key holder typed it, with the key's wallet.</summary>
public sealed record RedeemBody(string? Code, Guid? WalletId, Guid? KeyId);

public sealed record RedemptionBatchBody(Guid Id, decimal AmountUsd, int Count, int Redeemed, int Unredeemed, int Voided,
    DateTimeOffset ExpiresAt, string? Note, DateTimeOffset CreatedAt, DateTimeOffset? VoidedAt)
{
    public static RedemptionBatchBody From(RedemptionBatch b) =>
        new(b.Id, Micros.ToUsd(b.Amount), b.CodeCount, b.Redeemed, b.Unused, b.Voided, b.ExpiresAt, b.Note, b.CreatedAt, b.VoidedAt);
}

/// <summary>The mint answer: the only place the codes ever appear.</summary>
public sealed record MintedBatchBody(RedemptionBatchBody Batch, IReadOnlyList<string> Codes);

public sealed record RedemptionBatchPageBody(IReadOnlyList<RedemptionBatchBody> Data, string? NextCursor);

public sealed record VoidedCodeBody(Guid BatchId, string State);

public sealed record RedeemedBody(decimal AmountUsd, Guid BatchId, long LedgerEntryId, decimal BalanceUsd);
