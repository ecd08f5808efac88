using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using NexRelay.Contracts.Billing;

namespace NexRelay.Billing.Client;

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

    public Task<HoldResponse> HoldAsync(HoldRequest request, CancellationToken cancellationToken) =>
        BillingCall.PostAsync(httpClientFactory.CreateClient(HttpClientName), options.Value, "/internal/holds", request,
            HoldClientJson.Default.HoldRequest, (response, token) => ReadAnswerAsync(request, response, token),
            $"hold {request.RequestId}", (attempt, error) => LogAttemptFailed(logger, request.RequestId, attempt, error.Message),
            cancellationToken);

    private async Task<HoldResponse> ReadAnswerAsync(HoldRequest request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        switch (response.StatusCode)
        {
            case HttpStatusCode.OK or HttpStatusCode.PaymentRequired:
                return await response.Content.ReadFromJsonAsync(HoldClientJson.Default.HoldResponse, cancellationToken)
                    ?? throw new JsonException("Empty hold response.");
            case HttpStatusCode.NotFound:
                // The key's wallet does not exist: nothing is available to spend.
                LogUnknownWallet(logger, request.RequestId, request.WalletId);
                return new HoldResponse { Granted = false, Shortfall = "wallet", NeededMicros = request.AmountMicros, AvailableMicros = 0 };
            default:
                var problem = await response.Content.ReadAsStringAsync(cancellationToken);
                throw new BillingUnavailableException(
                    $"Billing rejected hold {request.RequestId} with {(int)response.StatusCode}: {problem}");
        }
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
