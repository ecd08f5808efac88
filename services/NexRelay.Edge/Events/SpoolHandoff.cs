using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using NexRelay.Contracts.Messages;

namespace NexRelay.Edge.Events;

/// <summary>
/// When a replica stops with events RabbitMQ has not confirmed (a broker outage longer than its shutdown grace), hands its
/// spool to another edge (<c>Edge:SpoolHandoffUrl</c>) instead of leaving it on a disk that may go with the pod (an
/// emptyDir in Kubernetes). The peer appends them to its own spool, replays them when RabbitMQ is back and keeps their
/// reservations alive meanwhile (<see cref="SpoolHandoffApi"/>). A segment is deleted only after the peer took all of it;
/// what fails stays on disk for this replica's next start. Events taken twice are settled once (consumers dedupe by id).
/// </summary>
internal sealed partial class SpoolHandoff(IHttpClientFactory httpClients, IOptions<EdgeEventsOptions> options, ILogger<SpoolHandoff> logger)
{
    public const string HttpClientName = "edge-peers";
    internal const int ChunkSize = 1_000;
    private const int AttemptsPerChunk = 3;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public bool Enabled => !string.IsNullOrWhiteSpace(options.Value.SpoolHandoffUrl);

    /// <summary>Hands every spooled segment to the peer; returns how many events it took.</summary>
    public async Task<long> HandOffAsync(EventSpool spool, CancellationToken cancellationToken)
    {
        long handed = 0;
        var client = httpClients.CreateClient(HttpClientName);
        foreach (var segment in spool.Seal())
        {
            foreach (var chunk in spool.Read(segment).Chunk(ChunkSize))
            {
                if (!await SendAsync(client, chunk, cancellationToken))
                {
                    LogHandoffStopped(logger, handed, segment);
                    return handed;
                }
                handed += chunk.Length;
            }
            spool.Delete(segment);
        }
        if (handed > 0) LogHandedOff(logger, handed, options.Value.SpoolHandoffUrl!);
        return handed;
    }

    // A few tries: the Service may first route to a replica that is itself stopping (it answers 503) or already gone.
    private async Task<bool> SendAsync(HttpClient client, RequestCompleted[] events, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= AttemptsPerChunk; attempt++)
        {
            try
            {
                using var response = await client.PostAsJsonAsync(SpoolHandoffApi.Path, events, Json, cancellationToken);
                if (response.IsSuccessStatusCode) return true;
                LogAttemptFailed(logger, attempt, $"{(int)response.StatusCode}");
            }
            catch (Exception ex) when (ex is HttpRequestException or Polly.ExecutionRejectedException
                                       or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                LogAttemptFailed(logger, attempt, ex.Message);
            }
            catch (OperationCanceledException)
            {
                return false; // out of shutdown time
            }
            if (attempt < AttemptsPerChunk) await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), CancellationToken.None);
        }
        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handed {Count} unconfirmed request events to another edge ({Peer}) before stopping")]
    private static partial void LogHandedOff(ILogger logger, long count, string peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handing the spool to another edge failed (attempt {Attempt}): {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handed {Count} events to another edge, then stopped: {Segment} and what follows stay in this replica's spool")]
    private static partial void LogHandoffStopped(ILogger logger, long count, string segment);
}
