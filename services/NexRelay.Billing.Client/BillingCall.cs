using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace NexRelay.Billing.Client;

/// <summary>
/// One POST to billing with the <c>Holds</c> retry policy, shared by the hold and lease clients: at most MaxAttempts
/// attempts 50 ms apart, each bounded by AttemptTimeoutMilliseconds, so the edge never hangs on billing.
/// </summary>
internal static class BillingCall
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// A connection failure, attempt timeout, 5xx, garbled body (a <see cref="JsonException"/>, also from
    /// <paramref name="readAnswer"/>) or the shared resilience handler's open circuit breaker is retried, each failed attempt
    /// reported to <paramref name="attemptFailed"/>; when every attempt fails it throws <see cref="BillingUnavailableException"/>
    /// naming <paramref name="operation"/>. Any other answer goes to <paramref name="readAnswer"/> (with the attempt's
    /// token), which returns the result or throws (<see cref="BillingUnavailableException"/> ends the call).
    /// Cancelling <paramref name="cancellationToken"/> throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public static async Task<TResult> PostAsync<TRequest, TResult>(HttpClient client, HoldClientOptions settings, string path,
        TRequest body, JsonTypeInfo<TRequest> requestType, Func<HttpResponseMessage, CancellationToken, Task<TResult>> readAnswer,
        string operation, Action<int, Exception>? attemptFailed, CancellationToken cancellationToken)
    {
        Exception? lastError = null;
        for (var attempt = 1; attempt <= settings.MaxAttempts; attempt++)
        {
            if (attempt > 1) await Task.Delay(RetryDelay, cancellationToken);
            using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptTimeout.CancelAfter(settings.AttemptTimeoutMilliseconds);
            try
            {
                using var response = await client.PostAsJsonAsync(path, body, requestType, attemptTimeout.Token);
                if (response.StatusCode < HttpStatusCode.InternalServerError) return await readAnswer(response, attemptTimeout.Token);
                lastError = new HttpRequestException($"Billing answered {(int)response.StatusCode}.", null, response.StatusCode);
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
            attemptFailed?.Invoke(attempt, lastError);
        }
        throw new BillingUnavailableException($"Billing is unavailable: {operation} failed after {settings.MaxAttempts} attempt(s).", lastError);
    }
}
