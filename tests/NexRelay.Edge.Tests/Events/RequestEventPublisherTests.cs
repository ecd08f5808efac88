using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NexRelay.Edge.Events;
using NexRelay.Testing;

namespace NexRelay.Edge.Tests.Events;

public sealed class RequestEventPublisherTests : IDisposable
{
    private readonly string _spool = Path.Combine(Path.GetTempPath(), $"nexrelay-spool-{Guid.NewGuid():N}");

    /// <summary>
    /// A linger far longer than it takes to publish the test's events, even on a loaded machine, and a publish timeout long
    /// enough that a slow first connection is not turned into a spool and a replay (which would group them anew): how events
    /// group into messages then depends only on the publisher's batching rule, not on how fast this process was scheduled.
    /// </summary>
    private static readonly Dictionary<string, string?> LongLinger = new()
    {
        ["Edge:EventLinger"] = "00:00:02",
        ["Edge:EventPublishTimeout"] = "00:01:00",
    };

    public void Dispose()
    {
        if (Directory.Exists(_spool)) Directory.Delete(_spool, recursive: true);
    }

    [Fact]
    public async Task Published_events_each_arrive_exactly_once()
    {
        var deliveries = new Deliveries();
        using var consumer = await EventHosts.StartConsumerAsync(deliveries);
        using var publisher = await EventHosts.StartPublisherAsync(TestInfrastructure.RabbitMq, _spool);
        var events = publisher.Services.GetRequiredService<IRequestEventPublisher>();

        var ids = Enumerable.Range(0, 500).Select(i => $"{deliveries.Prefix}{i}").ToList();
        foreach (var id in ids) events.Publish(EventHosts.Event(id));

        await deliveries.WaitForAsync(ids, TimeSpan.FromSeconds(30));
        await Task.Delay(1000); // room for any duplicate to show up
        Assert.Equal(ids.Count, deliveries.Counts.Count);
        Assert.All(deliveries.Counts.Values, n => Assert.Equal(1, n));
        Assert.Equal(0, EventHosts.SpooledEvents(_spool));
        await publisher.StopAsync();
    }

    [Fact]
    public async Task Events_published_together_travel_in_few_messages()
    {
        var deliveries = new Deliveries();
        using var consumer = await EventHosts.StartConsumerAsync(deliveries);
        using var publisher = await EventHosts.StartPublisherAsync(TestInfrastructure.RabbitMq, _spool, extra: LongLinger);
        var events = publisher.Services.GetRequiredService<IRequestEventPublisher>();

        // Spread over ~10 ms, far inside the linger: one message per request would make RabbitMQ, billing and logging do
        // 50 deliveries and transactions where one does. The linger is long so a loaded machine cannot split the batch.
        var ids = Enumerable.Range(0, 50).Select(i => $"{deliveries.Prefix}{i}").ToList();
        foreach (var chunk in ids.Chunk(10))
        {
            foreach (var id in chunk) events.Publish(EventHosts.Event(id));
            await Task.Delay(2);
        }

        await deliveries.WaitForAsync(ids, TimeSpan.FromSeconds(30));
        Assert.Equal(1, deliveries.Messages);
        Assert.Equal(50, deliveries.LargestMessage);
        await publisher.StopAsync();
    }

    [Fact]
    public async Task A_burst_of_events_travels_in_envelopes_of_at_most_64()
    {
        var deliveries = new Deliveries();
        using var consumer = await EventHosts.StartConsumerAsync(deliveries);
        using var publisher = await EventHosts.StartPublisherAsync(TestInfrastructure.RabbitMq, _spool, extra: LongLinger);
        var events = publisher.Services.GetRequiredService<IRequestEventPublisher>();

        // 64 events of ~1 KB keep a message body under .NET's large-object threshold (85,000 bytes). Within the long linger
        // all 300 are queued before the first envelope leaves, so they travel as exactly 64 + 64 + 64 + 64 + 44.
        var ids = Enumerable.Range(0, 300).Select(i => $"{deliveries.Prefix}{i}").ToList();
        foreach (var id in ids) events.Publish(EventHosts.Event(id));

        await deliveries.WaitForAsync(ids, TimeSpan.FromSeconds(30));
        Assert.Equal(64, deliveries.LargestMessage);
        Assert.Equal(5, deliveries.Messages);
        await publisher.StopAsync();
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(10)] // most events overflow the buffer and go straight to the spool
    public async Task Publish_returns_at_once_even_when_the_broker_is_unreachable(int bufferCapacity)
    {
        using var publisher = await EventHosts.StartPublisherAsync(EventHosts.UnreachableBroker(), _spool, bufferCapacity);
        var events = publisher.Services.GetRequiredService<IRequestEventPublisher>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 1000; i++) events.Publish(EventHosts.Event($"evt_fast_{i}"));
        Assert.True(started.ElapsedMilliseconds < 1000, $"1000 publishes took {started.ElapsedMilliseconds} ms");
        await publisher.StopAsync();
        Assert.Equal(1000, EventHosts.SpooledEvents(_spool));
    }

    [Fact]
    public async Task A_spool_at_its_cap_backlogs_the_publisher_and_still_takes_every_event()
    {
        using var publisher = await EventHosts.StartPublisherAsync(EventHosts.UnreachableBroker(), _spool,
            extra: new() { ["Edge:SpoolMaxBytes"] = (1 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var events = publisher.Services.GetRequiredService<IRequestEventPublisher>();
        var spool = publisher.Services.GetRequiredService<EventSpool>();
        Assert.False(events.Backlogged);

        // ~10 KB an event: about a hundred fill a 1 MiB spool.
        var big = new string('x', 10_000);
        for (var i = 0; i < 150; i++) events.Publish(EventHosts.Event($"evt_cap_{i}") with { RequestBody = big });
        await WaitUntilAsync(() => EventHosts.SpooledEvents(_spool) == 150, TimeSpan.FromSeconds(30));
        Assert.True(events.Backlogged, $"{spool.PendingBytes} bytes spooled");

        // Past the cap, an event of a request already under way is still written, never dropped.
        events.Publish(EventHosts.Event("evt_cap_late"));
        await WaitUntilAsync(() => EventHosts.SpooledEvents(_spool) == 151, TimeSpan.FromSeconds(30));
        await publisher.StopAsync();
    }

    [Fact]
    public async Task Events_spooled_while_the_broker_is_down_are_replayed_by_the_next_publisher_and_the_spool_empties()
    {
        var deliveries = new Deliveries();
        var ids = Enumerable.Range(0, 50).Select(i => $"{deliveries.Prefix}{i}").ToList();

        // Broker unreachable: every event lands in the spool file.
        using (var down = await EventHosts.StartPublisherAsync(EventHosts.UnreachableBroker(), _spool))
        {
            var events = down.Services.GetRequiredService<IRequestEventPublisher>();
            foreach (var id in ids.Take(30)) events.Publish(EventHosts.Event(id));
            await WaitUntilAsync(() => EventHosts.SpooledEvents(_spool) == 30, TimeSpan.FromSeconds(20));
            // The rest is still queued in memory at shutdown: the drain spools it too.
            foreach (var id in ids.Skip(30)) events.Publish(EventHosts.Event(id));
            await down.StopAsync();
        }
        Assert.Equal(ids.Count, EventHosts.SpooledEvents(_spool));
        Assert.Empty(deliveries.Counts);

        // A new publisher (a restarted edge) on the same spool with the broker back: the spool replays and empties.
        using var consumer = await EventHosts.StartConsumerAsync(deliveries);
        using var up = await EventHosts.StartPublisherAsync(TestInfrastructure.RabbitMq, _spool);
        await deliveries.WaitForAsync(ids, TimeSpan.FromSeconds(30));
        await WaitUntilAsync(() => EventHosts.SpooledEvents(_spool) == 0 && Directory.GetFiles(_spool).Length == 0, TimeSpan.FromSeconds(10));
        await Task.Delay(1000);
        Assert.All(deliveries.Counts.Values, n => Assert.Equal(1, n));

        // And it publishes new events normally afterwards.
        var later = $"{deliveries.Prefix}later";
        up.Services.GetRequiredService<IRequestEventPublisher>().Publish(EventHosts.Event(later));
        await deliveries.WaitForAsync([later], TimeSpan.FromSeconds(10));
        await up.StopAsync();
    }

    [Fact]
    public async Task Events_queued_at_shutdown_are_published_before_the_bus_stops()
    {
        var deliveries = new Deliveries();
        using var consumer = await EventHosts.StartConsumerAsync(deliveries);
        var ids = Enumerable.Range(0, 300).Select(i => $"{deliveries.Prefix}{i}").ToList();
        using (var publisher = await EventHosts.StartPublisherAsync(TestInfrastructure.RabbitMq, _spool))
        {
            var events = publisher.Services.GetRequiredService<IRequestEventPublisher>();
            foreach (var id in ids) events.Publish(EventHosts.Event(id));
            await publisher.StopAsync();
        }
        // Each one either reached RabbitMQ or is in the spool; with a healthy broker they were all published.
        await deliveries.WaitForAsync(ids, TimeSpan.FromSeconds(30));
        Assert.Equal(0, EventHosts.SpooledEvents(_spool));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("Condition not met in time.");
            await Task.Delay(100);
        }
    }
}
