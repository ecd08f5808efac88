using System.Buffers;
using System.IO.Pipelines;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>Writes server-sent events straight into the response pipe, one reused JSON writer for every event.</summary>
internal sealed class SseWriter(PipeWriter pipe) : IDisposable
{
    public static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private readonly Utf8JsonWriter _json = new(pipe, JsonOptions);

    /// <summary>The writer of the event in progress.</summary>
    public Utf8JsonWriter Json => _json;

    /// <summary>Starts an event (<c>event: name</c> line when named) and returns the writer for its <c>data:</c> JSON.</summary>
    public Utf8JsonWriter Begin(ReadOnlySpan<byte> eventName = default)
    {
        if (!eventName.IsEmpty)
        {
            pipe.Write("event: "u8);
            pipe.Write(eventName);
            pipe.Write("\n"u8);
        }
        pipe.Write("data: "u8);
        _json.Reset(pipe);
        return _json;
    }

    public void End()
    {
        _json.Flush();
        pipe.Write("\n\n"u8);
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes) => pipe.Write(bytes);

    /// <summary>Writes the JSON value only (Gemini's JSON-array stream), without SSE framing.</summary>
    public Utf8JsonWriter BeginBare()
    {
        _json.Reset(pipe);
        return _json;
    }

    public void EndBare() => _json.Flush();

    /// <summary>Sends what is buffered now; false when the client has gone.</summary>
    public async ValueTask<bool> FlushAsync(CancellationToken cancellationToken)
    {
        var result = await pipe.FlushAsync(cancellationToken);
        return !result.IsCanceled && !result.IsCompleted;
    }

    public void Dispose() => _json.Dispose();
}
