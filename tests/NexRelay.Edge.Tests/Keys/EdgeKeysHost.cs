using System.Collections.Concurrent;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NexRelay.Contracts.Keys;
using NexRelay.Edge.Keys;
using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Internal;
using NexRelay.ServiceDefaults.Messaging;
using NexRelay.Testing;

namespace NexRelay.Edge.Tests.Keys;

/// <summary>
/// The edge's key services exactly as <c>AddEdgeKeys</c> registers them (service defaults, real Redis, optionally the real
/// RabbitMQ bus with <c>ConfigureEdgeKeyConsumers</c>), in a plain host: one instance = one edge replica.
/// </summary>
internal sealed class EdgeKeysHost : IAsyncDisposable
{
    public const string HashSecret = "edge-tests-key-hash-secret-0123456789abcdef";
    public const string InternalToken = "edge-tests-internal-token-0123456789";

    private readonly IHost _host;

    private EdgeKeysHost(IHost host) => _host = host;

    public KeyResolver Resolver => _host.Services.GetRequiredService<KeyResolver>();
    public IServiceProvider Services => _host.Services;

    public static async Task<EdgeKeysHost> StartAsync(string? keyPolicyUrl = null, bool withBus = false, Dictionary<string, string?>? extra = null)
    {
        var builder = Host.CreateApplicationBuilder();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = TestInfrastructure.Redis,
            ["ConnectionStrings:messaging"] = TestInfrastructure.RabbitMq,
            ["NexRelay:KeyHashSecret"] = HashSecret,
            ["NexRelay:InternalToken"] = InternalToken,
            // Where service discovery sends http://keypolicy (a closed port when a test wants key-policy unreachable).
            ["services:keypolicy:http:0"] = keyPolicyUrl ?? "http://127.0.0.1:9",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in extra ?? []) settings[k] = v;
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        builder.AddRedisClient(ResourceNames.Redis);
        builder.AddEdgeKeys();
        if (withBus)
        {
            builder.AddNexRelayMessaging(x => x.ConfigureEdgeKeyConsumers());
            // The test must not publish before this replica's queue exists.
            builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        }
        var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await host.StartAsync(timeout.Token);
        return new EdgeKeysHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

/// <summary>
/// A minimal real HTTP server answering key-policy's lookup route from a dictionary, so the resolver's last fallback
/// can be exercised over real HTTP without the key-policy project (which this test project does not reference).
/// </summary>
internal sealed class KeyPolicyLookupServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _calls;

    public ConcurrentDictionary<string, KeySnapshot> Keys { get; } = new();
    public int Calls => Volatile.Read(ref _calls);
    public bool Failing { get; set; }
    public string Url { get; }

    private KeyPolicyLookupServer(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public static async Task<KeyPolicyLookupServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        KeyPolicyLookupServer? server = null;
        app.MapPost(KeyLookupRequest.Path, async (HttpRequest request) =>
        {
            Interlocked.Increment(ref server!._calls);
            // As key-policy does: no lookup without the internal token the edge's replicas share.
            if (request.Headers[InternalAuth.HeaderName] != EdgeKeysHost.InternalToken) return Results.StatusCode(StatusCodes.Status401Unauthorized);
            if (server.Failing) return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            var lookup = await request.ReadFromJsonAsync<KeyLookupRequest>(KeySnapshotJson.Options);
            return lookup is not null && server.Keys.TryGetValue(lookup.KeyHash, out var snapshot)
                ? Results.Json(snapshot, KeySnapshotJson.Options)
                : Results.Problem(statusCode: 404, title: "Key not found");
        });
        await app.StartAsync();
        server = new KeyPolicyLookupServer(app, app.Urls.First());
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
