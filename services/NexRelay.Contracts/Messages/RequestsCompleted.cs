namespace NexRelay.Contracts.Messages;

/// <summary>
/// What the edge publishes: the <see cref="RequestCompleted"/> events of many requests in one message, because at thousands
/// of requests per second RabbitMQ's and MassTransit's cost per message outweighs everything else on the event path.
/// Consumers treat every item exactly like a single <see cref="RequestCompleted"/> (idempotent by request id); the single
/// message stays supported for events published by older edges.
/// </summary>
public sealed record RequestsCompleted
{
    public required IReadOnlyList<RequestCompleted> Requests { get; init; }
}
