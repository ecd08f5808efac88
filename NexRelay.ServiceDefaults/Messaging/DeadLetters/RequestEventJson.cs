using System.Text.Json;
using System.Text.Json.Serialization;
using MassTransit;
using NexRelay.Contracts.Messages;

namespace NexRelay.ServiceDefaults.Messaging.DeadLetters;

/// <summary>
/// <see cref="RequestsCompleted"/> as the consumers receive it: the same message type (URN and exchange), its events kept as
/// JSON and read one at a time by <see cref="RequestEvents.Read"/>. Typed, one event that cannot be read (a field of the
/// wrong type, a required one missing) would fail the whole envelope before any consumer saw it, taking its other 63
/// events to the error queue with it.
/// </summary>
[MessageUrn(RequestEventTypes.Envelope)]
[EntityName(RequestEventTypes.Envelope)]
public sealed record RequestsCompletedJson
{
    public IReadOnlyList<JsonElement>? Requests { get; init; }
}

/// <summary>A single <see cref="RequestCompleted"/> message (older edges, re-queued dead letters), kept as JSON like an envelope's item.</summary>
[MessageUrn(RequestEventTypes.Single)]
[EntityName(RequestEventTypes.Single)]
[JsonConverter(typeof(RequestCompletedJsonConverter))]
public sealed record RequestCompletedJson(JsonElement Json);

/// <summary>The message is the event object itself, read and written as it is.</summary>
public sealed class RequestCompletedJsonConverter : JsonConverter<RequestCompletedJson>
{
    public override RequestCompletedJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        new(JsonElement.ParseValue(ref reader));

    public override void Write(Utf8JsonWriter writer, RequestCompletedJson value, JsonSerializerOptions options) => value.Json.WriteTo(writer);
}

/// <summary>The contracts' MassTransit names (URN and RabbitMQ exchange: namespace and type name), which the JSON views share.</summary>
internal static class RequestEventTypes
{
    private const string ContractNamespace = "NexRelay.Contracts.Messages";
    public const string Envelope = ContractNamespace + ":" + nameof(RequestsCompleted);
    public const string Single = ContractNamespace + ":" + nameof(RequestCompleted);
}
