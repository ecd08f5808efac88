using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using NexRelay.Billing.Client;
using NexRelay.Contracts.Keys;
using NexRelay.Edge.Errors;
using NexRelay.ServiceDefaults;

namespace NexRelay.Edge.Relay;

/// <summary>
/// Whether a key has anything to spend, for calls that hold nothing (count_tokens) yet are refused as generation would be:
/// 402 when the wallet, or the key's budget for this period, has nothing available. An open credit lease of this replica
/// with room left answers at once; otherwise billing is asked (the wallet, and the budget when the key has one).
/// </summary>
internal sealed partial class FundsCheck(IHttpClientFactory clients, CreditLeases leases, IOptions<HoldClientOptions> holdOptions,
    ILogger<FundsCheck> logger)
{
    public async Task<EdgeError?> CheckAsync(KeySnapshot key, CancellationToken ct)
    {
        var policy = key.Policy;
        if (leases.HasRoom(key.Id, key.WalletId, policy.BudgetMicros, policy.BudgetPeriod)) return null;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(holdOptions.Value.AttemptTimeoutMilliseconds * holdOptions.Value.MaxAttempts);
        var billing = clients.CreateClient(ResourceNames.Billing);
        try
        {
            // An unknown wallet has nothing to spend, as a hold on it is refused.
            var wallet = await GetAsync(billing, $"/internal/wallets/{key.WalletId}", timeout.Token);
            if (wallet is null || Usd(wallet, "available_usd") <= 0m)
            {
                return new EdgeError(ErrorKind.InsufficientQuota,
                    "The wallet's balance is used up: $0 is available. Add credit to the wallet to continue.", "insufficient_quota");
            }
            if (policy.BudgetMicros is { } budget)
            {
                var path = $"/internal/budgets/{key.Id}?budget_micros={budget.ToString(CultureInfo.InvariantCulture)}&period={Uri.EscapeDataString(policy.BudgetPeriod)}";
                var usage = await GetAsync(billing, path, timeout.Token) ?? throw new JsonException("No budget figures.");
                if (Usd(usage, "remaining_usd") <= 0m)
                {
                    var when = policy.BudgetPeriod switch { "day" => "today", "month" => "this month", _ => "in total" };
                    return new EdgeError(ErrorKind.InsufficientQuota, $"This key's budget is used up: $0 remains {when}.", "budget_exceeded");
                }
            }
            return null;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or InvalidOperationException or FormatException
            or Polly.ExecutionRejectedException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            LogBillingUnavailable(logger, key.Id, ex.Message);
            return EdgeError.BillingUnavailable();
        }
    }

    private static decimal Usd(JsonObject answer, string name) =>
        answer[name] is JsonValue value ? value.GetValue<decimal>() : throw new JsonException($"Billing's answer has no {name}.");

    /// <summary>The JSON answer, or null for a 404; any other failure throws.</summary>
    private static async Task<JsonObject?> GetAsync(HttpClient billing, string path, CancellationToken ct)
    {
        using var response = await billing.GetAsync(path, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"Billing answered {(int)response.StatusCode} to {path}.", null, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonObject>(ct) ?? throw new JsonException("An empty answer.");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Funds of key {KeyId} could not be read from billing: {Reason}")]
    private static partial void LogBillingUnavailable(ILogger logger, Guid keyId, string reason);
}
