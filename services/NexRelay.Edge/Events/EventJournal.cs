using System.Text.Json;
using NexRelay.Contracts.Messages;

namespace NexRelay.Edge.Events;

/// <summary>
/// Write-ahead journal of request events: every event is written to a local file (one <c>write()</c> to the kernel, no
/// fsync) before it is queued for publishing, so a killed edge process (SIGKILL, OOM kill) loses no event of a request
/// it answered; the page cache survives the process. (A lost machine can lose the last unsynced events; the spool, which
/// holds events RabbitMQ did not confirm, is fsynced.) A segment is deleted once every event in it was confirmed by
/// RabbitMQ or moved to the spool. At start, segments a killed process left behind are handed to the <see cref="EventSpool"/>,
/// which replays them: consumers settle and log by request id, so an event published twice counts once.
/// </summary>
internal sealed partial class EventJournal : IDisposable
{
    /// <summary>Events per segment before a new one is started (a segment is deleted once all of its events are done).</summary>
    internal const int MaxEventsPerSegment = 2_048;
    private const string Pattern = "journal-*.jsonl";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Lock _gate = new();
    private readonly ILogger<EventJournal> _logger;
    private readonly Dictionary<long, Segment> _segments = [];
    private Segment? _open;
    private long _nextId;

    public EventJournal(string directory, EventSpool spool, ILogger<EventJournal> logger)
    {
        Directory = Path.GetFullPath(directory);
        _logger = logger;
        System.IO.Directory.CreateDirectory(Directory);
        // What a previous process journaled and never saw confirmed: replay it through the spool.
        foreach (var leftover in System.IO.Directory.GetFiles(Directory, Pattern).Order(StringComparer.Ordinal))
        {
            var events = spool.Adopt(leftover);
            if (events > 0) LogRecovered(_logger, events, leftover);
        }
    }

    public string Directory { get; }

    /// <summary>Segments still on disk (for tests and diagnostics).</summary>
    public int SegmentCount
    {
        get { lock (_gate) return _segments.Count; }
    }

    /// <summary>Writes the event through to the kernel; returns the segment to pass to <see cref="Done"/> once it is safe elsewhere.</summary>
    public long Append(RequestCompleted message)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(message, Json);
        var buffer = new byte[line.Length + 1];
        line.CopyTo(buffer, 0);
        buffer[^1] = (byte)'\n';
        lock (_gate)
        {
            if (_open is null || _open.Written >= MaxEventsPerSegment) OpenSegment();
            // One write per line: a kill can tear at most the last line, which the spool's reader skips.
            _open!.Stream.Write(buffer);
            _open.Stream.Flush(flushToDisk: false);
            _open.Written++;
            _open.Pending++;
            return _open.Id;
        }
    }

    /// <summary><paramref name="count"/> events of <paramref name="segmentId"/> were confirmed by RabbitMQ or spooled.</summary>
    public void Done(long segmentId, int count = 1)
    {
        lock (_gate)
        {
            if (!_segments.TryGetValue(segmentId, out var segment)) return;
            segment.Pending -= count;
            if (segment.Pending > 0) return;
            // A full (or closed) segment with nothing pending is deleted; the open one carries on until it is full.
            if (segment == _open && segment.Written < MaxEventsPerSegment) return;
            Delete(segment);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var segment in _segments.Values.ToList())
            {
                if (segment.Pending <= 0) Delete(segment);
                else segment.Stream.Dispose(); // the next start replays it
            }
            _open = null;
        }
    }

    private void OpenSegment()
    {
        if (_open is { Pending: <= 0 }) Delete(_open);
        else _open?.Stream.Flush(flushToDisk: false);
        var id = ++_nextId;
        var path = Path.Combine(Directory, $"journal-{DateTime.UtcNow:yyyyMMddHHmmssfffffff}-{id:D6}.jsonl");
        // No .NET buffer to speak of: each line goes to the kernel as it is written.
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 1);
        _open = new Segment(id, path, stream);
        _segments[id] = _open;
    }

    private void Delete(Segment segment)
    {
        segment.Stream.Dispose();
        File.Delete(segment.Path);
        _segments.Remove(segment.Id);
        if (segment == _open) _open = null;
    }

    private sealed class Segment(long id, string path, FileStream stream)
    {
        public long Id { get; } = id;
        public string Path { get; } = path;
        public FileStream Stream { get; } = stream;
        public int Written { get; set; }
        public int Pending { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recovered {Count} request events a previous process journaled but never published ({Segment}); replaying them")]
    private static partial void LogRecovered(ILogger logger, long count, string segment);
}
