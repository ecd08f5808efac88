using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Edge.Errors;

namespace NexRelay.Edge.Relay;

/// <summary>Reads a request body as one JSON object, refusing it (413) past the configured size before parsing.</summary>
internal static class JsonBodyReader
{
    public static async Task<(JsonObject? Body, EdgeError? Error)> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes) return (null, TooLarge(maxBytes));
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes) return (null, TooLarge(maxBytes));
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) return (null, EdgeError.BadRequest("The request body is empty: send a JSON object."));
        try
        {
            return JsonNode.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)) is JsonObject obj
                ? (obj, null)
                : (null, EdgeError.BadRequest("The request body must be a JSON object."));
        }
        catch (JsonException ex)
        {
            return (null, EdgeError.BadRequest($"The request body is not valid JSON: {ex.Message}", code: "invalid_json"));
        }
    }

    private static EdgeError TooLarge(long maxBytes) => new(ErrorKind.TooLarge,
        $"The request body is larger than this gateway accepts ({maxBytes} bytes).", "request_too_large");
}
