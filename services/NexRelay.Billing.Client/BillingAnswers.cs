using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NexRelay.Billing.Client;

/// <summary>
/// A wallet as billing answers <c>GET /internal/wallets/{id}</c> (billing's <c>WalletBody</c>): snake_case on the wire,
/// USD as decimal numbers (read as they were written, so passing one on keeps its digits).
/// </summary>
public sealed record WalletAnswer
{
    public required Guid Id { get; init; }
    public required string Name { get; init; }
    public required decimal BalanceUsd { get; init; }
    public required decimal ReservedUsd { get; init; }
    public required decimal AvailableUsd { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// A key's budget use in one period as billing answers <c>GET /internal/budgets/{keyId}</c> (billing's <c>BudgetBody</c>).
/// <see cref="RemainingUsd"/> is null when no budget was given.
/// </summary>
public sealed record BudgetAnswer
{
    public required string PeriodKey { get; init; }
    public required decimal UsedUsd { get; init; }
    public required decimal ReservedUsd { get; init; }
    public decimal? RemainingUsd { get; init; }
}

/// <summary>Billing's internal read routes, so callers do not spell them again.</summary>
public static class BillingReads
{
    public static string WalletPath(Guid walletId) => $"/internal/wallets/{walletId}";

    /// <summary>The key's use in <paramref name="period"/> (total, day or month); with no budget, no remaining amount.</summary>
    public static string BudgetPath(Guid keyId, long? budgetMicros, string period) => budgetMicros is { } budget
        ? $"/internal/budgets/{keyId}?budget_micros={budget.ToString(CultureInfo.InvariantCulture)}&period={Uri.EscapeDataString(period)}"
        : $"/internal/budgets/{keyId}?period={Uri.EscapeDataString(period)}";
}

/// <summary>The JSON of billing's internal reads (snake_case, as billing writes them).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(WalletAnswer))]
[JsonSerializable(typeof(BudgetAnswer))]
public sealed partial class BillingAnswersJson : JsonSerializerContext;
