using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

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

/// <summary>Billing's internal reads, typed: the one place the edge spells their routes and reads their JSON.</summary>
public static class BillingReads
{
    public static string WalletPath(Guid walletId) => $"/internal/wallets/{walletId}";

    /// <summary>The key's use in <paramref name="period"/> (total, day or month); with no budget, no remaining amount.</summary>
    public static string BudgetPath(Guid keyId, long? budgetMicros, string period) => budgetMicros is { } budget
        ? $"/internal/budgets/{keyId}?budget_micros={budget.ToString(CultureInfo.InvariantCulture)}&period={Uri.EscapeDataString(period)}"
        : $"/internal/budgets/{keyId}?period={Uri.EscapeDataString(period)}";

    /// <summary>The wallet, or null when billing does not know it; any other failure throws (HTTP, JSON).</summary>
    public static Task<WalletAnswer?> GetWalletAsync(this HttpClient billing, Guid walletId, CancellationToken ct) =>
        GetAsync(billing, WalletPath(walletId), BillingAnswersJson.Default.WalletAnswer, ct);

    /// <summary>The key's budget use, or null when billing answers 404; any other failure throws (HTTP, JSON).</summary>
    public static Task<BudgetAnswer?> GetBudgetAsync(this HttpClient billing, Guid keyId, long? budgetMicros, string period, CancellationToken ct) =>
        GetAsync(billing, BudgetPath(keyId, budgetMicros, period), BillingAnswersJson.Default.BudgetAnswer, ct);

    private static async Task<T?> GetAsync<T>(HttpClient billing, string path, JsonTypeInfo<T> type, CancellationToken ct) where T : class
    {
        using var response = await billing.GetAsync(path, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"Billing answered {(int)response.StatusCode} to {path}.", null, response.StatusCode);
        return await response.Content.ReadFromJsonAsync(type, ct) ?? throw new JsonException("An empty answer.");
    }
}

/// <summary>The JSON of billing's internal reads (snake_case, as billing writes them).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(WalletAnswer))]
[JsonSerializable(typeof(BudgetAnswer))]
public sealed partial class BillingAnswersJson : JsonSerializerContext;
