using System.Buffers;
using System.Globalization;
using System.Text.Json;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Errors;

/// <summary>Writes an <see cref="EdgeError"/> as the response, in the caller's own envelope (<see cref="IClientFormat.WriteError"/>).</summary>
public static class ErrorWriters
{
    public static byte[] Render(IClientFormat format, EdgeError error)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer)) format.WriteError(json, error);
        return buffer.WrittenSpan.ToArray();
    }

    public static async Task WriteAsync(HttpContext context, IClientFormat format, EdgeError error)
    {
        var response = context.Response;
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        if (error.RetryAfter is { } wait) response.Headers.RetryAfter = EdgeError.RetrySeconds(wait).ToString(CultureInfo.InvariantCulture);
        await response.Body.WriteAsync(Render(format, error), context.RequestAborted);
    }

    public static Task WriteAsync(HttpContext context, ClientFormat format, EdgeError error) =>
        WriteAsync(context, FormatRegistry.Client(format), error);
}
