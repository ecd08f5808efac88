using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NexRelay.Contracts.Messages;
using NexRelay.Edge.Events;
using NexRelay.ServiceDefaults.Messaging;
using NexRelay.Testing;

namespace NexRelay.Edge.Tests.Events;

/// <summary>Counts deliveries per request id (only ids this test asked about; the broker's exchange is shared).</summary>
public sealed class Deliveries
{
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    public string Prefix { get; } = $"evt_{Guid.NewGuid():N}_";

    public void Record(string requestId)
    {
        if (requestId.StartsWith(Prefix, StringComparison.Ordinal)) _counts.AddOrUpdate(requestId, 1, (_, n) => n + 1);
    }

    public IReadOnlyDictionary<string, int> Counts => _counts;

    private int _messages;

    /// <summary>Messages (envelopes or single events) that carried at least one of this test's events.</summary>
    public int Messages => Volatile.Read(ref _messages);

    private int _largest;

    /// <summary>The most of this test's events one message carried.</summary>
    public int LargestMessage => Volatile.Read(ref _largest);

    public void RecordMessage(IEnumerable<string> requestIds)
    {
        var mine = 0;
        foreach (var id in requestIds)
        {
            if (id.StartsWith(Prefix, StringComparison.Ordinal)) mine++;
            Record(id);
        }
        if (mine == 0) return;
        Interlocked.Increment(ref _messages);
        int seen;
        while ((seen = Volatile.Read(ref _largest)) < mine && Interlocked.CompareExchange(ref _largest, mine, seen) != seen) { }
    }

    public async Task WaitForAsync(IEnumerable<string> ids, TimeSpan timeout)
    {
        var expected = ids.ToHashSet();
        var deadline = DateTime.UtcNow + timeout;
        while (!expected.All(_counts.ContainsKey))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{expected.Count(id => !_counts.ContainsKey(id))} of {expected.Count} events never arrived.");
            }
            await Task.Delay(100);
        }
    }
}

/// <summary>Takes what the edge publishes (envelopes of events) and, like the real consumers, single events too.</summary>
public sealed class CollectingConsumer(Deliveries deliveries) : IConsumer<RequestsCompleted>, IConsumer<RequestCompleted>
{
    public Task Consume(ConsumeContext<RequestsCompleted> context)
    {
        deliveries.RecordMessage(context.Message.Requests.Select(m => m.RequestId));
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<RequestCompleted> context)
    {
        deliveries.RecordMessage([context.Message.RequestId]);
        return Task.CompletedTask;
    }
}

internal static class EventHosts
{
    /// <summary>A bus with one temporary (auto-delete) queue bound to the edge's request events, started and ready.</summary>
    public static async Task<IHost> StartConsumerAsync(Deliveries deliveries)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:messaging"] = TestInfrastructure.RabbitMq });
        builder.Services.AddSingleton(deliveries);
        builder.AddNexRelayMessaging(x => x.AddConsumer<CollectingConsumer>()
            .Endpoint(e =>
            {
                e.Name = $"edge-events-test-{Guid.NewGuid():N}";
                e.Temporary = true;
            }));
        var host = builder.Build();
        await host.StartAsync();
        var health = await host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(60));
        Assert.Equal(BusHealthStatus.Healthy, health);
        return host;
    }

    /// <summary>A host with only the edge's event publisher, talking to <paramref name="amqp"/>, spooling under <paramref name="spoolPath"/>.</summary>
    public static async Task<IHost> StartPublisherAsync(string amqp, string spoolPath, int bufferCapacity = 10_000,
        Dictionary<string, string?>? extra = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = amqp,
            ["Edge:SpoolPath"] = spoolPath,
            // The production default: on a loaded two-core machine the first publish (connection, topology) can take seconds.
            ["Edge:EventPublishTimeout"] = "00:00:05",
            ["Edge:SpoolReplayInterval"] = "00:00:00.500",
            ["Edge:EventBufferCapacity"] = bufferCapacity.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.Configuration.AddInMemoryCollection(extra ?? []);
        builder.AddNexRelayMessaging();
        builder.AddEdgeEvents();
        builder.Services.Configure<MassTransitHostOptions>(o => o.StopTimeout = TimeSpan.FromSeconds(5));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>An amqp:// address where nothing listens.</summary>
    public static string UnreachableBroker()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"amqp://guest:guest@127.0.0.1:{port}/";
    }

    public static RequestCompleted Event(string requestId) => new()
    {
        RequestId = requestId,
        CreatedAt = DateTimeOffset.UtcNow,
        KeyId = Guid.NewGuid(),
        WalletId = Guid.NewGuid(),
        ClientFormat = "openai-chat",
        Route = "/v1/chat/completions",
        Model = "gpt-4o-mini",
        Status = 200,
        InputTokens = 12,
        OutputTokens = 3,
        CostMicros = 42,
        LatencyMs = 10,
        UserAgent = "line\nbreak \"and quotes\"",
    };

    /// <summary>Events waiting in the spool directory (one JSON line each).</summary>
    public static int SpooledEvents(string spoolPath) => Directory.Exists(spoolPath)
        ? Directory.GetFiles(spoolPath, "*.jsonl").Sum(f => ReadShared(f).Count(l => l.Length > 0))
        : 0;

    private static string[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n');
    }
}
