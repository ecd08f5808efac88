using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>The exact request body bytes in a pooled buffer (parsed once, echoed when asked).</summary>
internal sealed class RequestBody : IDisposable
{
    private byte[] _buffer;
    private int _length;

    private RequestBody(byte[] buffer) => _buffer = buffer;

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    public static async Task<RequestBody> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var initial = request.ContentLength is > 0 and <= 1024 * 1024 ? (int)request.ContentLength.Value : 4096;
        var body = new RequestBody(ArrayPool<byte>.Shared.Rent(initial));
        try
        {
            while (true)
            {
                if (body._length == body._buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(body._buffer.Length * 2);
                    body._buffer.AsSpan(0, body._length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(body._buffer);
                    body._buffer = bigger;
                }
                var read = await request.Body.ReadAsync(body._buffer.AsMemory(body._length), cancellationToken);
                if (read == 0) return body;
                body._length += read;
            }
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _length = 0;
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}
