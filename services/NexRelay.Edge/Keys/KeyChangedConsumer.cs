using MassTransit;
using NexRelay.Contracts.Messages;

namespace NexRelay.Edge.Keys;

/// <summary>
/// Drops this replica's cached copies of the keys that changed, remembering the version the change announced so that no older
/// snapshot is used again, and retires its credit leases for them (leases are optional so the key services also run without
/// the hold services, as in their own tests).
/// </summary>
internal sealed partial class KeyChangedConsumer(KeyResolver resolver, KeyMetrics metrics, ILogger<KeyChangedConsumer> logger,
    NexRelay.Billing.Client.CreditLeases? leases = null)
    : IConsumer<KeyChanged>
{
    public Task Consume(ConsumeContext<KeyChanged> context)
    {
        foreach (var hash in context.Message.KeyHashes) resolver.Evict(hash, context.Message.Version);
        // Its budget or wallet may have changed: the next request takes a fresh lease under the new policy.
        leases?.Retire(context.Message.KeyId);
        metrics.ChangeReceived(context.Message.Change);
        LogEvicted(logger, context.Message.KeyId, context.Message.Change);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Key {KeyId} {Change}: cached copies dropped")]
    private static partial void LogEvicted(ILogger logger, Guid keyId, string change);
}

/// <summary>
/// Every edge replica needs every <c>KeyChanged</c>, so each gets its own temporary queue instead of competing on one
/// shared queue: MassTransit declares it exclusive (gone with the replica's connection, even after a crash) with a 60 s
/// x-expires. No retries: dropping a cache entry cannot fail.
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

/// <summary>
/// When this replica's KeyChanged queue becomes ready again (after a RabbitMQ reconnect the exclusive queue is new, and
/// events sent meanwhile are lost), everything cached may be stale: drop it all rather than wait for the hard TTL.
/// </summary>
internal sealed class KeyCacheResetObserver(KeyResolver resolver) : IReceiveEndpointObserver
{
    public Task Ready(ReceiveEndpointReady ready)
    {
        if (ready.InputAddress.AbsolutePath.Contains("key-changed", StringComparison.Ordinal)) resolver.Clear();
        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    public Task Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;
}
