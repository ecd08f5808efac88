using System.Text.Json;
using MassTransit.Serialization;
using NexRelay.Contracts.Messages;

namespace NexRelay.ServiceDefaults.Messaging.DeadLetters;

/// <summary>A request event read from its JSON, and that JSON as it came (what a dead letter keeps).</summary>
public sealed record RequestEvent(RequestCompleted Event, JsonElement Json);

/// <summary>A batch's events: those that could be read, those that could not (already dead letters), and empty (null) items.</summary>
public sealed record ReadEvents(List<RequestEvent> Events, List<DeadLetter> Malformed, int Empty);

public static class RequestEvents
{
    /// <summary>Reads each event on its own, with MassTransit's own JSON settings (as a typed consumer would have).</summary>
    public static ReadEvents Read(IEnumerable<JsonElement> items)
    {
        var events = new List<RequestEvent>();
        var malformed = new List<DeadLetter>();
        var empty = 0;
        foreach (var item in items)
        {
            if (item.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            {
                empty++;
                continue;
            }
            try
            {
                if (item.Deserialize<RequestCompleted>(SystemTextJsonMessageSerializer.Options) is { } e) events.Add(new RequestEvent(e, item));
                else empty++;
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException)
            {
                malformed.Add(DeadLetter.Malformed(item, ex));
            }
        }
        return new ReadEvents(events, malformed, empty);
    }

    /// <summary>
    /// A dead letter for an event whose text bound for the database holds a NUL character, which PostgreSQL's text cannot
    /// store (it refuses the value, 22021, before running anything); null when the texts are fine. Refused here rather than
    /// by the database: besides the round trip, a value refused while Npgsql binds an auto-prepared statement leaves that
    /// connection out of step with the server, and the next command on it fails ("Received unexpected backend message
    /// DataRow", Npgsql 10.0.3) whatever its events.
    /// </summary>
    public static DeadLetter? RefuseNul(RequestEvent e, params ReadOnlySpan<(string Field, string? Value)> texts)
    {
        foreach (var (field, value) in texts)
        {
            if (value is not null && value.Contains('\0', StringComparison.Ordinal))
            {
                return new DeadLetter(e.Event.RequestId, DeadLetterKinds.Refused,
                    $"22021: {field} holds a NUL character (0x00), which PostgreSQL text cannot store", e.Json);
            }
        }
        return null;
    }

    /// <summary>The event's request id when it has a readable one (also of an event that cannot be read as a whole).</summary>
    public static string? RequestIdOf(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object) return null;
        foreach (var property in json.EnumerateObject())
        {
            if (property.NameEquals("requestId") || property.Name.Equals("requestId", StringComparison.OrdinalIgnoreCase))
                return property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
        }
        return null;
    }
}
