using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Edge.Errors;

namespace NexRelay.Edge.Relay;

/// <summary>Reads a request body as one JSON object, refusing it (413) past the configured size before parsing.</summary>
internal static class JsonBodyReader
{
    /// <summary>
    /// Parses straight from Kestrel's pipe buffers: no copy of the body and no per-request buffer (the copy through a
    /// MemoryStream was the edge's largest allocation per request). Examining without consuming is safe for any size:
    /// Kestrel's input limits are soft for a reader that has examined everything (dotnet/aspnetcore#8105).
    /// </summary>
    public static async Task<(JsonObject? Body, EdgeError? Error)> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes) return (null, TooLarge(maxBytes));
        var pipe = request.BodyReader;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await pipe.ReadAsync(ct);
            }
            catch (Exception ex) when (IsClientGone(ex))
            {
                throw new ClientClosedException(ex.Message, ex);
            }
            var buffer = result.Buffer;
            if (buffer.Length > maxBytes)
            {
                pipe.AdvanceTo(buffer.End);
                return (null, TooLarge(maxBytes));
            }
            if (result.IsCompleted)
            {
                try
                {
                    return Parse(buffer);
                }
                finally
                {
                    pipe.AdvanceTo(buffer.End);
                }
            }
            // Nothing consumed, everything examined: the next read returns once more of the body has arrived.
            pipe.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// The client went away mid-body: Kestrel reports a body cut short as a 400 "Unexpected end of request content", and a
    /// reset connection as an I/O error. Neither is the gateway's failure; other bad framing stays a bad request.
    /// </summary>
    private static bool IsClientGone(Exception ex) =>
        ex is IOException and not BadHttpRequestException
        || ex is BadHttpRequestException bad && bad.Message.StartsWith("Unexpected end of request content", StringComparison.Ordinal);

    private static (JsonObject? Body, EdgeError? Error) Parse(ReadOnlySequence<byte> body)
    {
        if (body.IsEmpty) return (null, EdgeError.BadRequest("The request body is empty: send a JSON object."));
        try
        {
            var reader = new Utf8JsonReader(body);
            var node = JsonNode.Parse(ref reader);
            // Anything but whitespace after the value (a second value, stray characters) makes Read throw.
            if (reader.Read()) throw new JsonException("More than one JSON value in the body.");
            return node is JsonObject obj
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
