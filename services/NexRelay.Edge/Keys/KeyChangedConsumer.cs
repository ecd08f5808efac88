using MassTransit;
using NexRelay.Contracts.Messages;

namespace NexRelay.Edge.Keys;

/// <summary>Drops this replica's cached copies of the keys that changed.</summary>
internal sealed partial class KeyChangedConsumer(KeyResolver resolver, ILogger<KeyChangedConsumer> logger) : IConsumer<KeyChanged>
{
    public Task Consume(ConsumeContext<KeyChanged> context)
    {
        foreach (var hash in context.Message.KeyHashes) resolver.Evict(hash);
        LogEvicted(logger, context.Message.KeyId, context.Message.Change);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Key {KeyId} {Change}: cached copies dropped")]
    private static partial void LogEvicted(ILogger logger, Guid keyId, string change);
}

/// <summary>
/// Every edge replica needs every <c>KeyChanged</c>, so each gets its own temporary queue (auto-deleted when the replica
/// stops) instead of competing on one shared queue. No retries: dropping a cache entry cannot fail.
/// </summary>
internal sealed class KeyChangedConsumerDefinition : ConsumerDefinition<KeyChangedConsumer>
{
    public KeyChangedConsumerDefinition()
    {
        Endpoint(e =>
        {
            e.Temporary = true;
            e.InstanceId = Guid.NewGuid().ToString("N")[..12];
            e.PrefetchCount = 64;
        });
    }
}
