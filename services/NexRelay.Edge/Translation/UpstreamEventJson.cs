using System.Text.Json;

namespace NexRelay.Edge.Translation;

/// <summary>Reads one upstream stream event's JSON, for every upstream's stream parser.</summary>
internal static class UpstreamEventJson
{
    /// <summary>
    /// The event's JSON object, or null for anything else (not JSON, or JSON that is no object): upstream parsers skip odd
    /// events and never throw (Translation/README.md). The caller disposes the document.
    /// </summary>
    public static JsonDocument? ParseObject(ReadOnlySpan<byte> data)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(data);
            if (!JsonDocument.TryParseValue(ref reader, out var parsed)) return null;
            document = parsed;
        }
        catch (JsonException)
        {
            return null;
        }
        if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
        document.Dispose();
        return null;
    }
}
