using System.Threading.Channels;
using MassTransit;
using Microsoft.Extensions.Options;
using NexRelay.Contracts.Messages;

namespace NexRelay.Edge.Events;

/// <summary>
/// Publishes <see cref="RequestCompleted"/> off the request path: <see cref="Publish"/> only enqueues; a background loop
/// publishes what has queued up within <c>Edge:EventLinger</c> (up to 64 events) as one <see cref="RequestsCompleted"/>
/// message with publisher confirms — one message per request would make RabbitMQ, billing and logging the busiest processes.
/// An event RabbitMQ does not confirm in time goes to the durable <see cref="EventSpool"/>,
/// which is replayed periodically and emptied only after confirmed publishes. At-least-once: consumers dedupe by request id.
/// </summary>
internal sealed partial class RequestEventPublisher : BackgroundService, IRequestEventPublisher
{
    /// <summary>
    /// An event is ~1 KB of JSON, so 64 keep a message body under the 85,000 bytes where .NET allocates on the large-object
    /// heap: at 100 every body went there (in the edge, billing and logging), and its churn was most of the edge's growth
    /// in memory under load.
    /// </summary>
    private const int BatchSize = 64;

    private readonly Channel<RequestCompleted> _channel;
    private readonly IPublishEndpoint _bus;
    private readonly EventSpool _spool;
    private readonly EdgeEventsOptions _options;
    private readonly ILogger<RequestEventPublisher> _logger;
    private readonly EventMetrics _metrics;

    // Set when a publish fails, cleared when the spool replays: while down, events skip the publish timeout and spool at once.
    private volatile bool _brokerDown;
    private volatile bool _stopping;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RequestEventPublisher(IBus bus, EventSpool spool, IOptions<EdgeEventsOptions> options, EventMetrics metrics,
        ILogger<RequestEventPublisher> logger)
    {
        _metrics = metrics;
        _bus = bus;
        _spool = spool;
        _options = options.Value;
        _logger = logger;
        _channel = Channel.CreateBounded<RequestCompleted>(new BoundedChannelOptions(_options.EventBufferCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public void Publish(RequestCompleted message)
    {
        if (_channel.Writer.TryWrite(message)) return;
        // Buffer full (a long outage under load) or shutting down: straight to the spool rather than drop it.
        try
        {
            _spool.Append([message], flushToDisk: _stopping);
            _metrics.Spooled(1);
            LogOverflow(_logger, message.RequestId);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Never fail the caller's request over its log event; the spool's disk is the operator's alarm.
            LogSpoolWriteFailed(_logger, 1, ex);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var replay = Task.Run(() => ReplayLoopAsync(stoppingToken), CancellationToken.None);
        try
        {
            var batch = new List<RequestCompleted>(BatchSize);
            // Not cancelled by stoppingToken: the loop ends when StopAsync completes the channel and it has drained.
            while (await _channel.Reader.WaitToReadAsync(CancellationToken.None))
            {
                // Let a batch gather unless one is already waiting (or we are draining for shutdown).
                if (_options.EventLinger > TimeSpan.Zero && !_stopping && _channel.Reader.Count < BatchSize)
                    await Task.Delay(_options.EventLinger, CancellationToken.None);
                batch.Clear();
                while (batch.Count < BatchSize && _channel.Reader.TryRead(out var message)) batch.Add(message);
                try
                {
                    await PublishOrSpoolAsync(batch);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    LogSpoolWriteFailed(_logger, batch.Count, ex); // keep the loop alive: later events may still publish
                }
            }
        }
        finally
        {
            _drained.TrySetResult();
        }
        await replay;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Drain what is queued (publish or spool) before the bus stops; we are registered after it, so we stop first.
        _stopping = true;
        _channel.Writer.TryComplete();
        await using (cancellationToken.Register(() => _brokerDown = true)) // out of time: spool the rest instead of waiting on confirms
        {
            if (ExecuteTask is not null) await Task.WhenAny(_drained.Task, Task.Delay(Timeout.Infinite, cancellationToken));
        }
        await base.StopAsync(cancellationToken);
        while (_channel.Reader.TryRead(out var message))
        {
            _spool.Append([message], flushToDisk: false);
            _metrics.Spooled(1);
        }
        _spool.FlushToDisk();
    }

    private async Task PublishOrSpoolAsync(List<RequestCompleted> batch)
    {
        if (_brokerDown)
        {
            _spool.Append(batch, flushToDisk: true);
            _metrics.Spooled(batch.Count);
            LogSpooled(_logger, batch.Count);
            return;
        }
        if (await TryPublishAsync(batch))
        {
            _metrics.Published(batch.Count, replay: false);
            return;
        }
        _brokerDown = true;
        _spool.Append(batch, flushToDisk: true);
        _metrics.Spooled(batch.Count);
        LogSpooled(_logger, batch.Count);
    }

    private async Task<bool> TryPublishAsync(IReadOnlyList<RequestCompleted> events)
    {
        using var timeout = new CancellationTokenSource(_options.EventPublishTimeout);
        try
        {
            // With publisher confirms on, this completes only once RabbitMQ has the message. A copy: the caller reuses its list.
            await _bus.Publish(new RequestsCompleted { Requests = events.ToArray() }, timeout.Token);
            return true;
        }
        catch (Exception ex)
        {
            _metrics.PublishFailed();
            LogPublishFailed(_logger, events.Count, events[0].RequestId, ex.Message);
            return false;
        }
    }

    private async Task ReplayLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.SpoolReplayInterval);
        try
        {
            do
            {
                try
                {
                    _spool.FlushToDisk(); // overflow appends are written without fsync; make them durable here
                    if (_spool.HasPending) await ReplayAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogReplayFailed(_logger, ex);
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down; the spool stays for the next start.
        }
    }

    private async Task ReplayAsync(CancellationToken stoppingToken)
    {
        var replayed = 0;
        foreach (var segment in _spool.Seal())
        {
            foreach (var chunk in _spool.Read(segment).Chunk(BatchSize))
            {
                stoppingToken.ThrowIfCancellationRequested();
                if (await TryPublishAsync(chunk))
                {
                    _metrics.Published(chunk.Length, replay: true);
                }
                else
                {
                    // Keep the segment: chunks already confirmed are published again next time (consumers dedupe by request id).
                    _brokerDown = true;
                    if (replayed > 0) LogReplayed(_logger, replayed);
                    return;
                }
                replayed += chunk.Length;
            }
            _spool.Delete(segment);
        }
        _brokerDown = false;
        if (replayed > 0) LogReplayed(_logger, replayed);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event buffer full or closed; spooled request {RequestId}")]
    private static partial void LogOverflow(ILogger logger, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RabbitMQ unavailable; spooled {Count} request events")]
    private static partial void LogSpooled(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Publishing {Count} request events (from {RequestId}) failed: {Error}")]
    private static partial void LogPublishFailed(ILogger logger, int count, string requestId, string error);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Could not write {Count} request events to the spool; they are lost")]
    private static partial void LogSpoolWriteFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replayed {Count} spooled request events to RabbitMQ")]
    private static partial void LogReplayed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Replaying the event spool failed; retrying later")]
    private static partial void LogReplayFailed(ILogger logger, Exception exception);
}
