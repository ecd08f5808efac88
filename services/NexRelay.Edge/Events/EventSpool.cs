using System.Text.Json;
using NexRelay.Contracts.Messages;

namespace NexRelay.Edge.Events;

/// <summary>
/// Durable local journal of events RabbitMQ did not confirm: append-only segment files of one JSON line per event.
/// New events go to the open segment; replay first seals it, so a segment is only read once nothing writes to it, and is
/// deleted only after every event in it was confirmed. One spool directory per edge process.
/// </summary>
internal sealed partial class EventSpool : IDisposable
{
    private const int MaxEventsPerSegment = 10_000;
    private const string Pattern = "events-*.jsonl";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly Lock _gate = new();
    private readonly ILogger<EventSpool> _logger;
    private readonly Dictionary<string, long> _eventsPerSegment = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _bytesPerSegment = new(StringComparer.Ordinal);
    private long _bytes;
    private FileStream? _segment;
    private int _segmentEvents;
    private long _sequence;

    public EventSpool(string directory, ILogger<EventSpool> logger)
    {
        Directory = Path.GetFullPath(directory);
        _logger = logger;
        System.IO.Directory.CreateDirectory(Directory);
        foreach (var segment in System.IO.Directory.EnumerateFiles(Directory, Pattern))
        {
            _eventsPerSegment[segment] = File.ReadLines(segment).LongCount(l => l.Length > 0);
            Count(segment, new FileInfo(segment).Length);
        }
    }

    /// <summary>Events written to the spool and not yet replayed (a torn line counts too).</summary>
    public long PendingEvents
    {
        get
        {
            lock (_gate) return _eventsPerSegment.Values.Sum();
        }
    }

    /// <summary>Bytes of the spool's segments on disk: what <see cref="EdgeEventsOptions.SpoolMaxBytes"/> caps.</summary>
    public long PendingBytes => Interlocked.Read(ref _bytes);

    public string Directory { get; }

    /// <summary>Appends the events; <paramref name="flushToDisk"/> fsyncs before returning (the batch is durable).</summary>
    public void Append(IEnumerable<RequestCompleted> events, bool flushToDisk)
    {
        lock (_gate)
        {
            foreach (var message in events)
            {
                if (_segment is null || _segmentEvents >= MaxEventsPerSegment) OpenSegment();
                // One write per line, so a crash can tear at most the last line, which replay skips.
                var line = JsonSerializer.SerializeToUtf8Bytes(message, Json);
                var buffer = new byte[line.Length + 1];
                line.CopyTo(buffer, 0);
                buffer[^1] = NewLine[0];
                _segment!.Write(buffer);
                _segmentEvents++;
                _eventsPerSegment[_segment.Name] = _segmentEvents;
                Count(_segment.Name, buffer.Length);
            }
            _segment?.Flush(flushToDisk);
        }
    }

    public void FlushToDisk()
    {
        lock (_gate) _segment?.Flush(flushToDisk: true);
    }

    /// <summary>True when some event waits in the spool.</summary>
    public bool HasPending
    {
        get
        {
            lock (_gate)
            {
                return _segmentEvents > 0 || System.IO.Directory.EnumerateFiles(Directory, Pattern).Any(f => f != _segment?.Name);
            }
        }
    }

    /// <summary>Closes the open segment (durably) and returns every segment, oldest first, for replay.</summary>
    public IReadOnlyList<string> Seal()
    {
        lock (_gate)
        {
            CloseSegment();
            return System.IO.Directory.GetFiles(Directory, Pattern).Order(StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>The events of a sealed segment; lines that do not parse (a write torn by a crash) are skipped.</summary>
    public IEnumerable<RequestCompleted> Read(string segment)
    {
        foreach (var line in File.ReadLines(segment))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            RequestCompleted? message = null;
            try
            {
                message = JsonSerializer.Deserialize<RequestCompleted>(line, Json);
            }
            catch (JsonException ex)
            {
                LogUnreadableLine(_logger, segment, ex.Message);
            }
            if (message is not null) yield return message;
        }
    }

    /// <summary>
    /// Takes over a file of events written elsewhere (a journal segment a killed process left): moved into the spool as a
    /// sealed segment, replayed like any other. Returns how many events it holds.
    /// </summary>
    public long Adopt(string file)
    {
        lock (_gate)
        {
            var target = Path.Combine(Directory, $"events-{DateTime.UtcNow:yyyyMMddHHmmssfffffff}-{Interlocked.Increment(ref _sequence):D6}-adopted.jsonl");
            File.Move(file, target);
            var events = File.ReadLines(target).LongCount(l => l.Length > 0);
            if (events == 0)
            {
                File.Delete(target);
                return 0;
            }
            _eventsPerSegment[target] = events;
            Count(target, new FileInfo(target).Length);
            return events;
        }
    }

    public void Delete(string segment)
    {
        File.Delete(segment);
        lock (_gate)
        {
            _eventsPerSegment.Remove(segment);
            if (_bytesPerSegment.Remove(segment, out var bytes)) Interlocked.Add(ref _bytes, -bytes);
        }
    }

    /// <summary>Adds <paramref name="bytes"/> to a segment's size and the spool's (under the gate, or in the constructor).</summary>
    private void Count(string segment, long bytes)
    {
        _bytesPerSegment[segment] = _bytesPerSegment.GetValueOrDefault(segment) + bytes;
        Interlocked.Add(ref _bytes, bytes);
    }

    public void Dispose()
    {
        lock (_gate) CloseSegment();
    }

    private void OpenSegment()
    {
        CloseSegment();
        var name = $"events-{DateTime.UtcNow:yyyyMMddHHmmssfffffff}-{Interlocked.Increment(ref _sequence):D6}.jsonl";
        _segment = new FileStream(Path.Combine(Directory, name), FileMode.CreateNew, FileAccess.Write, FileShare.Read, 64 * 1024);
        _segmentEvents = 0;
    }

    private void CloseSegment()
    {
        if (_segment is null) return;
        _segment.Flush(flushToDisk: true);
        _segment.Dispose();
        _segment = null;
        _segmentEvents = 0;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Skipping an unreadable line in spool segment {Segment}: {Error}")]
    private static partial void LogUnreadableLine(ILogger logger, string segment, string error);
}
