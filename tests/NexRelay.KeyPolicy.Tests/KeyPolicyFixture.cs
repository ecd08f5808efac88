using System.Collections.Concurrent;
using System.Net.Http.Headers;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NexRelay.Contracts.Messages;
using NexRelay.Testing;
using StackExchange.Redis;
using NexRelay.ServiceDefaults.Internal;

namespace NexRelay.KeyPolicy.Tests;

/// <summary>One key-policy service on its own fresh database, plus a bus endpoint that records every KeyChanged it sees.</summary>
public sealed class KeyPolicyFixture : IAsyncLifetime
{
    public const string AdminToken = "test-admin-token-4b1d9c0e7a";
    public const string InternalToken = "test-internal-token-8c2e5f1a9d";
    public const string HashSecret = "test-key-hash-secret-5f0c2e9a1b7d4e3f8a6c";

    private IBusControl? _bus;
    public string Database { get; private set; } = "";
    public KeyPolicyFactory Factory { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public IConnectionMultiplexer Redis { get; private set; } = null!;
    public CapturedLogs Logs { get; } = new();
    public ConcurrentQueue<KeyChanged> Events { get; } = new();

    public async Task InitializeAsync()
    {
        Database = await TestInfrastructure.CreateDatabaseAsync("keypolicy");
        Redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);

        // Listen before the service publishes anything: a temporary queue bound to the KeyChanged exchange.
        _bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(TestInfrastructure.RabbitMq));
            cfg.ReceiveEndpoint($"keypolicy-tests-{Guid.NewGuid():N}", e =>
            {
                e.AutoDelete = true;
                e.Durable = false;
                e.Handler<KeyChanged>(ctx =>
                {
                    Events.Enqueue(ctx.Message);
                    return Task.CompletedTask;
                });
            });
        });
        using var startTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _bus.StartAsync(startTimeout.Token);

        Factory = new KeyPolicyFactory(Settings(Database), Logs);
        Factory.StartServer();
        Client = Factory.CreateClient();
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        Client.DefaultRequestHeaders.Add(InternalAuth.HeaderName, InternalToken); // for /internal/keys/lookup, as the edge sends it
    }

    public static Dictionary<string, string?> Settings(string database) => new()
    {
        ["ConnectionStrings:keypolicydb"] = TestInfrastructure.PostgresDatabase(database),
        ["ConnectionStrings:redis"] = TestInfrastructure.Redis,
        ["ConnectionStrings:messaging"] = TestInfrastructure.RabbitMq,
        ["NexRelay:KeyHashSecret"] = HashSecret,
        ["NexRelay:AdminToken"] = AdminToken,
        ["NexRelay:InternalToken"] = InternalToken,
        ["Logging:LogLevel:Default"] = "Debug",
    };

    /// <summary>Waits for the KeyChanged of <paramref name="keyId"/> with <paramref name="change"/>.</summary>
    public async Task<KeyChanged> WaitForEventAsync(Guid keyId, string change)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            var found = Events.FirstOrDefault(e => e.KeyId == keyId && e.Change == change);
            if (found is not null) return found;
            await Task.Delay(50);
        }
        throw new TimeoutException($"No KeyChanged '{change}' for key {keyId} within 15 s.");
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
        if (_bus is not null) await _bus.StopAsync();
        await Redis.DisposeAsync();
        await TestInfrastructure.DropDatabaseAsync(Database);
    }
}

public sealed class KeyPolicyFactory(IDictionary<string, string?> settings, CapturedLogs logs) : ServiceFactory<Program>(settings)
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(logs));
    }
}

/// <summary>Every log line the service writes (message, state values, exception), so tests can scan them for secrets.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose() { }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            lines.Enqueue($"{category} scope: {Describe(state)}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} | {Describe(state)} | {exception}");

        private static string Describe<TState>(TState state) => state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? string.Join("; ", pairs.Select(p => $"{p.Key}={p.Value}"))
            : state?.ToString() ?? "";
    }
}
