using System.Text.Json;
using Npgsql;

namespace NexRelay.ServiceDefaults.Messaging.DeadLetters;

/// <summary>Why an event was dead-lettered (the <c>kind</c> of a dead letter and the tag of the services' dead-letter counters).</summary>
public static class DeadLetterKinds
{
    /// <summary>The event could not be read as a <c>RequestCompleted</c>.</summary>
    public const string Malformed = "malformed";
    /// <summary>The database refused it: a data exception, a constraint, a size limit.</summary>
    public const string Refused = "refused";
    /// <summary>The code handling it threw.</summary>
    public const string Failed = "failed";
    /// <summary>A whole message MassTransit could not read (not JSON, not an envelope): moved to the queue's _error queue, not stored.</summary>
    public const string Unreadable = "unreadable";
    /// <summary>A message that failed outside the per-event isolation: moved to the queue's _error queue.</summary>
    public const string Faulted = "faulted";
}

/// <summary>An event to dead-letter: its request id when it has one, why, and its JSON as it came.</summary>
public sealed record DeadLetter(string? RequestId, string Kind, string Reason, JsonElement Event)
{
    public static DeadLetter Malformed(JsonElement json, Exception error) =>
        new(RequestEvents.RequestIdOf(json), DeadLetterKinds.Malformed, MessageFailure.Describe(error), json);

    public static DeadLetter Failed(RequestEvent e, Exception error) =>
        new(e.Event.RequestId, error is PostgresException ? DeadLetterKinds.Refused : DeadLetterKinds.Failed, MessageFailure.Describe(error), e.Json);
}

/// <summary>A stored dead letter, as the admin API lists it (<c>event</c> is the event's JSON as it came, camelCase like the wire).</summary>
public sealed record DeadLetterEntry(long Id, string? RequestId, string Kind, string Reason, int Failures,
    DateTimeOffset FirstFailedAt, DateTimeOffset LastFailedAt, JsonElement Event);
