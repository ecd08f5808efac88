using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using NexRelay.Contracts.Billing;

namespace NexRelay.Edge.Holds;

/// <summary>
/// <see cref="IHoldService"/> over HTTP: POST /internal/holds on the billing service (named HttpClient "billing").
/// A connection failure, attempt timeout or 5xx is retried (a retried hold returns the original hold, never a second one);
/// when every attempt fails it throws <see cref="BillingUnavailableException"/> after at most
/// MaxAttempts × AttemptTimeoutMilliseconds, so the edge never hangs on billing.
/// </summary>
internal sealed partial class HttpHoldService(IHttpClientFactory httpClientFactory, IOptions<HoldClientOptions> options,
    ILogger<HttpHoldService> logger) : IHoldService
{
    public const string HttpClientName = "billing";
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(50);

    public async Task<HoldResponse> HoldAsync(HoldRequest request, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var client = httpClientFactory.CreateClient(HttpClientName);
        Exception? lastError = null;
        for (var attempt = 1; attempt <= settings.MaxAttempts; attempt++)
        {
            if (attempt > 1) await Task.Delay(RetryDelay, cancellationToken);
            using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptTimeout.CancelAfter(settings.AttemptTimeoutMilliseconds);
            try
            {
                using var response = await client.PostAsJsonAsync("/internal/holds", request, HoldClientJson.Default.HoldRequest, attemptTimeout.Token);
                switch (response.StatusCode)
                {
                    case HttpStatusCode.OK or HttpStatusCode.PaymentRequired:
                        return await response.Content.ReadFromJsonAsync(HoldClientJson.Default.HoldResponse, attemptTimeout.Token)
                            ?? throw new JsonException("Empty hold response.");
                    case HttpStatusCode.NotFound:
                        // The key's wallet does not exist: nothing is available to spend.
                        LogUnknownWallet(logger, request.RequestId, request.WalletId);
                        return new HoldResponse { Granted = false, Shortfall = "wallet", NeededMicros = request.AmountMicros, AvailableMicros = 0 };
                    case >= HttpStatusCode.InternalServerError:
                        lastError = new HttpRequestException($"Billing answered {(int)response.StatusCode}.", null, response.StatusCode);
                        break;
                    default:
                        var problem = await response.Content.ReadAsStringAsync(attemptTimeout.Token);
                        throw new BillingUnavailableException(
                            $"Billing rejected hold {request.RequestId} with {(int)response.StatusCode}: {problem}");
                }
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                lastError = new TimeoutException($"Billing did not answer within {settings.AttemptTimeoutMilliseconds} ms.", ex);
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException or Polly.ExecutionRejectedException)
            {
                // Connection refused/reset, a garbled body, or the shared resilience handler's open circuit breaker.
                lastError = ex;
            }
            LogAttemptFailed(logger, request.RequestId, attempt, lastError!.Message);
        }
        throw new BillingUnavailableException($"Billing is unavailable: hold {request.RequestId} failed after {settings.MaxAttempts} attempt(s).", lastError);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hold {RequestId} attempt {Attempt} failed: {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string requestId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hold {RequestId} refused: wallet {WalletId} does not exist")]
    private static partial void LogUnknownWallet(ILogger logger, string requestId, Guid walletId);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(HoldRequest))]
[JsonSerializable(typeof(HoldResponse))]
internal sealed partial class HoldClientJson : JsonSerializerContext;
