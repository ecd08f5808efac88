using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using NexRelay.Contracts.Keys;
using NexRelay.Edge.Keys;
using NexRelay.Edge.Relay;
using StackExchange.Redis;

namespace NexRelay.Edge.Tests.Keys;

/// <summary>
/// The edge's key services as <c>AddEdgeKeys</c> wires them, without any server: Redis is disconnected (and fails the test if
/// asked anything but whether it is connected), key-policy is an in-process handler answering from a dictionary. For tests that
/// resolve a million keys, where sockets would only measure the loopback.
/// </summary>
internal sealed class OfflineKeys : IDisposable
{
    private readonly ServiceProvider _services;

    public OfflineKeys(Action<EdgeKeyOptions>? keys = null, Action<FailedAuthOptions>? failedAuth = null, Action<KeyLookupOptions>? lookups = null,
        TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddSingleton(DispatchProxy.Create<IConnectionMultiplexer, DisconnectedRedis>());
        services.AddSingleton<IHttpClientFactory>(new OneClientFactory(KeyPolicy));
        services.AddOptions<EdgeKeyOptions>().Configure(o =>
        {
            o.HashSecret = EdgeKeysHost.HashSecret;
            keys?.Invoke(o);
        });
        services.AddOptions<FailedAuthOptions>().Configure(o => failedAuth?.Invoke(o));
        services.AddOptions<KeyLookupOptions>().Configure(o => lookups?.Invoke(o));
        services.AddSingleton<KeyVersions>();
        services.AddSingleton<FailedAuthLimiter>();
        services.AddSingleton<UnknownKeyLookups>();
        services.AddSingleton<KeyMetrics>();
        services.AddSingleton<KeyResolver>();
        services.AddSingleton<RateLimiter>();
        services.AddSingleton<KeyGate>();
        _services = services.BuildServiceProvider();
    }

    public FakeKeyPolicy KeyPolicy { get; } = new();
    public KeyResolver Resolver => _services.GetRequiredService<KeyResolver>();
    public KeyGate Gate => _services.GetRequiredService<KeyGate>();
    public FailedAuthLimiter FailedAuth => _services.GetRequiredService<FailedAuthLimiter>();

    /// <summary>A new real key that key-policy knows.</summary>
    public string RealKey(string state = "active")
    {
        var key = KeyHash.Generate();
        KeyPolicy.Keys[KeyResolverTests.Hash(key)] = KeyResolverTests.Snapshot("real", state);
        return key;
    }

    public void Dispose() => _services.Dispose();

    /// <summary>Key-policy's lookup route, in process: counts calls, answers 404 for unknown hashes, can be held to test concurrency.</summary>
    internal sealed class FakeKeyPolicy : HttpMessageHandler
    {
        private int _calls;
        private int _inFlight;
        private int _maxInFlight;

        public ConcurrentDictionary<string, KeySnapshot> Keys { get; } = new();
        public int Calls => Volatile.Read(ref _calls);
        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        /// <summary>When set, every lookup waits for it.</summary>
        public TaskCompletionSource? Hold { get; set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            Interlocked.Increment(ref _calls);
            var now = Interlocked.Increment(ref _inFlight);
            int max;
            while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
            {
            }
            try
            {
                if (Hold is { } hold) await hold.Task.WaitAsync(ct);
                var lookup = await request.Content!.ReadFromJsonAsync<KeyLookupRequest>(KeySnapshotJson.Options, ct);
                return Keys.TryGetValue(lookup!.KeyHash, out var snapshot)
                    ? new HttpResponseMessage(HttpStatusCode.OK) { Content = JsonContent.Create(snapshot, options: KeySnapshotJson.Options) }
                    : new HttpResponseMessage(HttpStatusCode.NotFound);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    private sealed class OneClientFactory(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false) { BaseAddress = new Uri("http://keypolicy") };
    }
}

/// <summary>A Redis connection that is down: the resolver must go straight to key-policy and never touch it otherwise.</summary>
public class DisconnectedRedis : DispatchProxy
{
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod?.Name switch
    {
        "get_IsConnected" => false,
        "Dispose" => null,
        "DisposeAsync" => ValueTask.CompletedTask,
        _ => throw new InvalidOperationException($"Redis was asked: {targetMethod?.Name}"),
    };
}
