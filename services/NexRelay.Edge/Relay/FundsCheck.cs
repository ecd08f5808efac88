using System.Text.Json;
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
            var wallet = await billing.GetWalletAsync(key.WalletId, timeout.Token);
            if (wallet is null || wallet.AvailableUsd <= 0m)
            {
                return new EdgeError(ErrorKind.InsufficientQuota,
                    "The wallet's balance is used up: $0 is available. Add credit to the wallet to continue.", "insufficient_quota");
            }
            if (policy.BudgetMicros is { } budget)
            {
                var usage = await billing.GetBudgetAsync(key.Id, budget, policy.BudgetPeriod, timeout.Token) ?? throw new JsonException("No budget figures.");
                if ((usage.RemainingUsd ?? throw new JsonException("Billing's answer has no remaining_usd.")) <= 0m)
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Funds of key {KeyId} could not be read from billing: {Reason}")]
    private static partial void LogBillingUnavailable(ILogger logger, Guid keyId, string reason);
}
