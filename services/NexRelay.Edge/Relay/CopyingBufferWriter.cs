using System.Buffers;

namespace NexRelay.Edge.Relay;

/// <summary>
/// Writes to <paramref name="inner"/> (the response body) and keeps a copy of every byte committed, for a stream whose
/// response is stored once it ends (Responses/ResponseStore.cs). The copy is taken at <see cref="Advance"/>, from the memory
/// handed out last, as the <see cref="IBufferWriter{T}"/> contract has writers do.
/// </summary>
internal sealed class CopyingBufferWriter(IBufferWriter<byte> inner, IBufferWriter<byte> copy) : IBufferWriter<byte>
{
    private Memory<byte> _last;

    public Memory<byte> GetMemory(int sizeHint = 0) => _last = inner.GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => (_last = inner.GetMemory(sizeHint)).Span;

    public void Advance(int count)
    {
        copy.Write(_last.Span[..count]);
        _last = default;
        inner.Advance(count);
    }
}
