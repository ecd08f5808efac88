using System.Threading.Channels;
using MassTransit;
using Microsoft.Extensions.Options;
using NexRelay.Contracts.Messages;

namespace NexRelay.Edge.Events;

/// <summary>
/// Publishes <see cref="RequestCompleted"/> off the request path: <see cref="Publish"/> writes the event to the
/// <see cref="EventJournal"/> (so a killed process loses nothing it answered) and enqueues it; a background loop
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

    private readonly Channel<Journaled> _channel;
    private readonly IPublishEndpoint _bus;
    private readonly EventSpool _spool;
    private readonly EventJournal _journal;
    private readonly IEventConfirmations _confirmations;
    private readonly SpoolHandoff _handoff;
    private readonly EdgeEventsOptions _options;
    private readonly ILogger<RequestEventPublisher> _logger;
    private readonly EventMetrics _metrics;

    // Set when a publish fails, cleared when the spool replays: while down, events skip the publish timeout and spool at once.
    private volatile bool _brokerDown;
    private volatile bool _stopping;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RequestEventPublisher(IBus bus, EventSpool spool, EventJournal journal, IEventConfirmations confirmations, SpoolHandoff handoff,
        IOptions<EdgeEventsOptions> options, EventMetrics metrics, ILogger<RequestEventPublisher> logger)
    {
        _confirmations = confirmations;
        _handoff = handoff;
        _metrics = metrics;
        _bus = bus;
        _spool = spool;
        _journal = journal;
        _options = options.Value;
        _logger = logger;
        _channel = Channel.CreateBounded<Journaled>(new BoundedChannelOptions(_options.EventBufferCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public bool Backlogged => _spool.PendingBytes >= _options.SpoolMaxBytes;

    public void Publish(RequestCompleted message)
    {
        long segment;
        try
        {
            segment = _journal.Append(message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            segment = 0; // not journaled: it is still published, only a kill before that would lose it
            LogJournalWriteFailed(_logger, message.RequestId, ex);
        }
        var journaled = new Journaled(message, segment);
        if (_channel.Writer.TryWrite(journaled)) return;
        // Buffer full (a long outage under load) or shutting down: straight to the spool rather than drop it.
        try
        {
            _spool.Append([message], flushToDisk: _stopping);
            _journal.Done(segment);
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
        AnnounceSpooled();
        var replay = Task.Run(() => ReplayLoopAsync(stoppingToken), CancellationToken.None);
        try
        {
            var batch = new List<Journaled>(BatchSize);
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
        var rest = new List<Journaled>();
        while (_channel.Reader.TryRead(out var message)) rest.Add(message);
        if (rest.Count > 0) Spool(rest);
        _spool.FlushToDisk();
        // Still unconfirmed (RabbitMQ is down): to another edge, if one is configured, rather than a disk that may go with us.
        if (_handoff.Enabled && _spool.HasPending)
        {
            try
            {
                await _handoff.HandOffAsync(_spool, cancellationToken);
            }
            catch (IOException ex)
            {
                LogSpoolWriteFailed(_logger, 0, ex);
            }
        }
    }

    private async Task PublishOrSpoolAsync(List<Journaled> batch)
    {
        if (!_brokerDown && await TryPublishAsync(batch.ConvertAll(e => e.Message)))
        {
            _metrics.Published(batch.Count, replay: false);
            Done(batch);
            _confirmations.Confirmed(batch.ConvertAll(e => e.Message));
            return;
        }
        _brokerDown = true;
        Spool(batch);
        LogSpooled(_logger, batch.Count);
    }

    /// <summary>Into the durable spool (fsynced), and so out of the journal.</summary>
    private void Spool(List<Journaled> events)
    {
        _spool.Append(events.Select(e => e.Message), flushToDisk: true);
        _metrics.Spooled(events.Count);
        Done(events);
    }

    private void Done(List<Journaled> events)
    {
        foreach (var group in events.GroupBy(e => e.Segment)) _journal.Done(group.Key, group.Count());
    }

    /// <summary>An event and the journal segment it was written to.</summary>
    private readonly record struct Journaled(RequestCompleted Message, long Segment);

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

    /// <summary>What an earlier process left in the spool (and journal, adopted into it) still has reservations to keep alive.</summary>
    private void AnnounceSpooled()
    {
        try
        {
            foreach (var segment in _spool.Seal()) _confirmations.Unconfirmed(_spool.Read(segment));
        }
        catch (IOException ex)
        {
            LogReplayFailed(_logger, ex);
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
                    _confirmations.Confirmed(chunk);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not journal request event {RequestId}; publishing it anyway")]
    private static partial void LogJournalWriteFailed(ILogger logger, string requestId, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Could not write {Count} request events to the spool; they are lost")]
    private static partial void LogSpoolWriteFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replayed {Count} spooled request events to RabbitMQ")]
    private static partial void LogReplayed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Replaying the event spool failed; retrying later")]
    private static partial void LogReplayFailed(ILogger logger, Exception exception);
}
