using System.Buffers;
using System.Text;

namespace NexRelay.Edge.Translation.Sse;

/// <summary>Receives one complete SSE event; <paramref name="data"/> is only valid during the call.</summary>
public delegate void SseEventHandler<TState>(TState state, string? eventName, ReadOnlySpan<byte> data);

/// <summary>One complete SSE event (convenience copy for callers that collect events).</summary>
public sealed record SseEvent(string? EventName, byte[] Data)
{
    public string DataText => Encoding.UTF8.GetString(Data);
}

/// <summary>
/// Incremental server-sent-events parser (WHATWG grammar): feed byte chunks split anywhere (mid-line, between CR and LF),
/// get complete events. Buffers are pooled and reused; event names are cached so a steady stream allocates nothing per event.
/// Not thread-safe: one instance per response.
/// </summary>
public sealed class SseParser : IDisposable
{
    private byte[] _line = ArrayPool<byte>.Shared.Rent(1024);
    private int _lineLength;
    private byte[] _data = ArrayPool<byte>.Shared.Rent(1024);
    private int _dataLength;
    private bool _hasData;
    private string? _eventName;
    private bool _skipLeadingLf;
    // A tiny cache: streams repeat the same few event names, so most lines resolve to an existing string.
    private readonly string?[] _names = new string?[8];
    private int _nextName;

    public void Feed<TState>(ReadOnlySpan<byte> chunk, TState state, SseEventHandler<TState> onEvent)
    {
        while (!chunk.IsEmpty)
        {
            if (_skipLeadingLf)
            {
                _skipLeadingLf = false;
                if (chunk[0] == (byte)'\n')
                {
                    chunk = chunk[1..];
                    continue;
                }
            }
            var end = chunk.IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                Append(ref _line, ref _lineLength, chunk);
                return;
            }
            ReadOnlySpan<byte> line;
            if (_lineLength == 0)
            {
                line = chunk[..end];
            }
            else
            {
                Append(ref _line, ref _lineLength, chunk[..end]);
                line = _line.AsSpan(0, _lineLength);
            }
            if (chunk[end] == (byte)'\r')
            {
                if (end + 1 < chunk.Length) { if (chunk[end + 1] == (byte)'\n') end++; }
                else _skipLeadingLf = true;
            }
            chunk = chunk[(end + 1)..];
            ProcessLine(line, state, onEvent);
            _lineLength = 0;
        }
    }

    /// <summary>Collects the events of one chunk into <paramref name="output"/> (allocates copies; handy for tests and non-hot paths).</summary>
    public void Feed(ReadOnlySpan<byte> chunk, List<SseEvent> output) =>
        Feed(chunk, output, static (list, name, data) => list.Add(new SseEvent(name, data.ToArray())));

    /// <summary>End of stream: dispatches an event left unterminated by a blank line (lenient towards upstreams that omit it).</summary>
    public void Complete<TState>(TState state, SseEventHandler<TState> onEvent)
    {
        if (_lineLength > 0)
        {
            ProcessLine(_line.AsSpan(0, _lineLength), state, onEvent);
            _lineLength = 0;
        }
        Dispatch(state, onEvent);
    }

    public void Complete(List<SseEvent> output) =>
        Complete(output, static (list, name, data) => list.Add(new SseEvent(name, data.ToArray())));

    private void ProcessLine<TState>(ReadOnlySpan<byte> line, TState state, SseEventHandler<TState> onEvent)
    {
        if (line.IsEmpty)
        {
            Dispatch(state, onEvent);
            return;
        }
        if (line[0] == (byte)':') return; // comment / keep-alive
        var colon = line.IndexOf((byte)':');
        ReadOnlySpan<byte> field, value;
        if (colon < 0)
        {
            field = line;
            value = default;
        }
        else
        {
            field = line[..colon];
            value = line[(colon + 1)..];
            if (!value.IsEmpty && value[0] == (byte)' ') value = value[1..];
        }
        if (field.SequenceEqual("data"u8))
        {
            if (_hasData) Append(ref _data, ref _dataLength, "\n"u8);
            Append(ref _data, ref _dataLength, value);
            _hasData = true;
        }
        else if (field.SequenceEqual("event"u8))
        {
            _eventName = value.IsEmpty ? null : Intern(value);
        }
        // id and retry carry nothing the relay needs.
    }

    private void Dispatch<TState>(TState state, SseEventHandler<TState> onEvent)
    {
        if (_hasData)
        {
            onEvent(state, _eventName, _data.AsSpan(0, _dataLength));
        }
        _hasData = false;
        _dataLength = 0;
        _eventName = null;
    }

    private string Intern(ReadOnlySpan<byte> name)
    {
        foreach (var cached in _names)
        {
            if (cached is not null && cached.Length == name.Length && Ascii.Equals(name, cached)) return cached;
        }
        var created = Encoding.UTF8.GetString(name);
        _names[_nextName] = created;
        _nextName = (_nextName + 1) % _names.Length;
        return created;
    }

    private static void Append(ref byte[] buffer, ref int length, ReadOnlySpan<byte> bytes)
    {
        if (length + bytes.Length > buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, length + bytes.Length));
            buffer.AsSpan(0, length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = bigger;
        }
        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_line);
        ArrayPool<byte>.Shared.Return(_data);
        _line = [];
        _data = [];
        _lineLength = _dataLength = 0;
    }
}
