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
            if (node is not JsonObject obj) return (null, EdgeError.BadRequest("The request body must be a JSON object."));
            RefuseDuplicateKeys(obj);
            return (obj, null);
        }
        catch (JsonException ex)
        {
            return (null, EdgeError.BadRequest($"The request body is not valid JSON: {ex.Message}", code: "invalid_json"));
        }
        catch (InvalidOperationException ex)
        {
            // A property name that is not UTF-8 (the reader checks values, not names), found by RefuseDuplicateKeys.
            return (null, EdgeError.BadRequest($"The request body is not valid JSON: {ex.Message}", code: "invalid_json"));
        }
        catch (ArgumentException)
        {
            return (null, EdgeError.BadRequest(
                "The request body has the same key twice in one object: which one counts is ambiguous, so neither does. Send each key once.",
                code: "invalid_json"));
        }
    }

    /// <summary>
    /// Reads every object once, while a refusal is still a clean 400: JsonObject decodes its keys only when first read, which
    /// could be anywhere later (count_tokens and Gemini answered 500). A key given twice throws ArgumentException (a duplicate
    /// is ambiguous: parsers keep the first or the last); a key that is not UTF-8 throws InvalidOperationException (the reader
    /// validates string values, not property names). Depth is bounded by the reader's (64).
    /// </summary>
    private static void RefuseDuplicateKeys(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, value) in o) RefuseDuplicateKeys(value);
                break;
            case JsonArray a:
                foreach (var value in a) RefuseDuplicateKeys(value);
                break;
        }
    }

    private static EdgeError TooLarge(long maxBytes) => new(ErrorKind.TooLarge,
        $"The request body is larger than this gateway accepts ({maxBytes} bytes).", "request_too_large");
}
