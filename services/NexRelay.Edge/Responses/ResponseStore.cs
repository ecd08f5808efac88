using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using NexRelay.Contracts.Responses;
using NexRelay.Edge.Admin;
using NexRelay.ServiceDefaults;

namespace NexRelay.Edge.Responses;

/// <summary>What a lookup of a stored response found.</summary>
internal readonly record struct StoredLookup(StoredResponse? Response, bool Unavailable);

/// <summary>
/// The edge's side of stored responses (docs/architecture.md, "Stored responses"): the logging service keeps them, owner-scoped,
/// for <c>Logging:StoredResponseRetentionDays</c>. A response is handed over in the background once the request has its answer,
/// so storing adds nothing to what the client waits for; a continuation that arrives before the hand-over is done waits for it
/// here (this edge's own hand-overs) or finds it on a short second look (another edge's).
/// </summary>
internal sealed partial class ResponseStore(IHttpClientFactory clients, IOptions<AdminOptions> admin, ILogger<ResponseStore> logger) : IHostedService
{
    /// <summary>Waits before looking again for a response not found: another edge may still be handing it over.</summary>
    private static readonly TimeSpan[] MissedLookupWaits = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)];

    /// <summary>Waits before handing a response over again after a failure; then it is given up (logged), never retried forever.</summary>
    private static readonly TimeSpan[] WriteRetryWaits = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)];

    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, Task> _pending = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Hands <paramref name="response"/> over to be stored, in the background.</summary>
    public void Store(StoredResponse response)
    {
        var write = WriteAsync(response, _stopping.Token);
        _pending[response.Id] = write;
        _ = write.ContinueWith(t => _pending.TryRemove(KeyValuePair.Create(response.Id, t)), TaskScheduler.Default);
    }

    public async Task<StoredLookup> GetAsync(string id, Guid walletId, CancellationToken ct)
    {
        if (_pending.TryGetValue(id, out var pending))
        {
            // This edge is still handing it over: its own wait ends with success or a logged give-up.
            await pending.WaitAsync(LookupTimeout, ct).ContinueWith(_ => { }, ct, TaskContinuationOptions.None, TaskScheduler.Default);
        }
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var request = Request(HttpMethod.Get, id, walletId);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(LookupTimeout);
                using var response = await Client.SendAsync(request, timeout.Token);
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    if (attempt >= MissedLookupWaits.Length) return new StoredLookup(null, false);
                    await Task.Delay(MissedLookupWaits[attempt], ct);
                    continue;
                }
                if (!response.IsSuccessStatusCode)
                {
                    LogLookupFailed(logger, (int)response.StatusCode);
                    return new StoredLookup(null, true);
                }
                return new StoredLookup(await response.Content.ReadFromJsonAsync<StoredResponse>(ct), false);
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException or Polly.ExecutionRejectedException
                or OperationCanceledException && !ct.IsCancellationRequested)
            {
                LogLookupUnavailable(logger, ex.GetType().Name);
                return new StoredLookup(null, true);
            }
        }
    }

    /// <summary>Deletes the owner's response: true deleted, false not found, null the store could not be asked.</summary>
    public async Task<bool?> DeleteAsync(string id, Guid walletId, CancellationToken ct)
    {
        if (_pending.TryGetValue(id, out var pending))
        {
            await pending.WaitAsync(LookupTimeout, ct).ContinueWith(_ => { }, ct, TaskContinuationOptions.None, TaskScheduler.Default);
        }
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var request = Request(HttpMethod.Delete, id, walletId);
                using var response = await Client.SendAsync(request, ct);
                if (response.StatusCode != HttpStatusCode.NotFound) return response.IsSuccessStatusCode ? true : null;
            }
            catch (Exception ex) when (ex is HttpRequestException or Polly.ExecutionRejectedException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                return null;
            }
            // Not found: another edge may still be handing it over, as for a lookup.
            if (attempt >= MissedLookupWaits.Length) return false;
            await Task.Delay(MissedLookupWaits[attempt], ct);
        }
    }

    /// <summary>The bytes <paramref name="input"/> and <paramref name="response"/> take stored, and the contract carrying them.</summary>
    public static (StoredResponse Stored, long Bytes) Prepare(string id, Guid walletId, Guid keyId, string requestId, string model,
        JsonArray input, JsonObject response)
    {
        var inputBytes = JsonSerializer.SerializeToUtf8Bytes(input);
        var responseBytes = JsonSerializer.SerializeToUtf8Bytes(response);
        using var inputDocument = JsonDocument.Parse(inputBytes);
        using var responseDocument = JsonDocument.Parse(responseBytes);
        return (new StoredResponse
        {
            Id = id, WalletId = walletId, KeyId = keyId, RequestId = requestId, Model = model, CreatedAt = DateTimeOffset.UtcNow,
            Input = inputDocument.RootElement.Clone(), Response = responseDocument.RootElement.Clone(),
        }, inputBytes.LongLength + responseBytes.LongLength);
    }

    private async Task WriteAsync(StoredResponse stored, CancellationToken stopping)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var request = Request(HttpMethod.Put, stored.Id, null);
                request.Content = JsonContent.Create(stored);
                using var response = await Client.SendAsync(request, CancellationToken.None);
                if (response.IsSuccessStatusCode) return;
                if ((int)response.StatusCode is >= 400 and < 500)
                {
                    // Refused for what it is (too long an id, say): sending it again would not help.
                    LogWriteRefused(logger, stored.Id, (int)response.StatusCode);
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or Polly.ExecutionRejectedException or OperationCanceledException)
            {
                if (attempt >= WriteRetryWaits.Length) { LogWriteGivenUp(logger, stored.Id, ex.GetType().Name); return; }
            }
            if (attempt >= WriteRetryWaits.Length) { LogWriteGivenUp(logger, stored.Id, "server error"); return; }
            try
            {
                await Task.Delay(WriteRetryWaits[attempt], stopping);
            }
            catch (OperationCanceledException)
            {
                // Shutting down: one last try now rather than a wait that will not end.
            }
        }
    }

    private HttpClient Client => clients.CreateClient(ResourceNames.Logging);

    private HttpRequestMessage Request(HttpMethod method, string id, Guid? walletId)
    {
        var path = "/admin/v1/responses/" + Uri.EscapeDataString(id) + (walletId is { } w ? "?wallet_id=" + w : "");
        var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + admin.Value.AdminToken);
        return request;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>On shutdown, responses still being handed over are given their last try before the process ends.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_pending.Values).WaitAsync(cancellationToken).ContinueWith(_ => { }, CancellationToken.None,
            TaskContinuationOptions.None, TaskScheduler.Default);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stored responses could not be read: the logging service answered {Status}")]
    private static partial void LogLookupFailed(ILogger logger, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stored responses could not be read: {Failure}")]
    private static partial void LogLookupUnavailable(ILogger logger, string failure);

    [LoggerMessage(Level = LogLevel.Error, Message = "Response {Id} was not stored: the logging service refused it ({Status})")]
    private static partial void LogWriteRefused(ILogger logger, string id, int status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Response {Id} was not stored after every retry ({Failure}); continuing it will answer 404")]
    private static partial void LogWriteGivenUp(ILogger logger, string id, string failure);
}
