using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NexRelay.Edge.Translation.Sse;

/// <summary>
/// Writes SSE frames (<c>event: x\ndata: {json}\n\n</c>) into an <see cref="IBufferWriter{T}"/>. The JSON writer is cached
/// per thread and reset onto each output, so writing an event allocates nothing of its own.
/// Usage: <c>var json = SseWriter.Begin(output, "message_start"); json.WriteStartObject(); … SseWriter.End(json, output);</c>
/// </summary>
public static class SseWriter
{
    /// <summary>Relaxed escaping keeps non-ASCII text readable; newlines and quotes are still escaped, so one event stays on one line.</summary>
    public static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };

    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    /// <summary>Writes the <c>event:</c> line (when named) and <c>data: </c>, and returns a JSON writer positioned for the payload.</summary>
    public static Utf8JsonWriter Begin(IBufferWriter<byte> output, string? eventName)
    {
        if (eventName is not null)
        {
            output.Write("event: "u8);
            WriteAscii(output, eventName);
            output.Write("\n"u8);
        }
        output.Write("data: "u8);
        var writer = t_writer ??= new Utf8JsonWriter(output, JsonOptions);
        writer.Reset(output);
        return writer;
    }

    /// <summary>Flushes the payload and terminates the event.</summary>
    public static void End(Utf8JsonWriter json, IBufferWriter<byte> output)
    {
        json.Flush();
        json.Reset(Stream.Null); // do not keep the caller's buffer alive
        output.Write("\n\n"u8);
    }

    public static void WriteJson(IBufferWriter<byte> output, string? eventName, JsonNode payload)
    {
        var json = Begin(output, eventName);
        payload.WriteTo(json);
        End(json, output);
    }

    /// <summary>A raw data line, e.g. <c>data: [DONE]\n\n</c>.</summary>
    public static void WriteRaw(IBufferWriter<byte> output, string? eventName, ReadOnlySpan<byte> data)
    {
        if (eventName is not null)
        {
            output.Write("event: "u8);
            WriteAscii(output, eventName);
            output.Write("\n"u8);
        }
        output.Write("data: "u8);
        output.Write(data);
        output.Write("\n\n"u8);
    }

    /// <summary>Event names are ASCII in practice, but an upstream's are relayed as sent: sized for UTF-8, never overrun.</summary>
    private static void WriteAscii(IBufferWriter<byte> output, string text)
    {
        var span = output.GetSpan(System.Text.Encoding.UTF8.GetByteCount(text));
        var n = System.Text.Encoding.UTF8.GetBytes(text, span);
        output.Advance(n);
    }
}
