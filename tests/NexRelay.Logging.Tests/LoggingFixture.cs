using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using NexRelay.Contracts.Messages;
using NexRelay.Testing;
using Npgsql;
using RabbitMQ.Client;

namespace NexRelay.Logging.Tests;

/// <summary>
/// The logging service on real Kestrel against its own fresh PostgreSQL database and its own RabbitMQ queue, with a
/// two-day retention purged every second. Tests use their own wallet/key ids, so rows of other tests never interfere.
/// </summary>
public sealed class LoggingFixture : IAsyncLifetime
{
    public const string AdminToken = "test-admin-token-0123456789abcdef";

    public string Queue { get; } = $"store-request-log-test-{Guid.NewGuid():N}";
    public string Database { get; private set; } = "";
    public ServiceFactory<Program> Factory { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await TestInfrastructure.CreateDatabaseAsync("logging");
        Factory = new ServiceFactory<Program>(new Dictionary<string, string?>
        {
            ["ConnectionStrings:loggingdb"] = TestInfrastructure.PostgresDatabase(Database),
            ["ConnectionStrings:messaging"] = TestInfrastructure.RabbitMq,
            ["NexRelay:AdminToken"] = AdminToken,
            ["Logging:IngestQueue"] = Queue,
            ["Logging:RetentionDays"] = "2",
            ["Logging:PurgeInterval"] = "00:00:01",
        });
        // Real Kestrel must be chosen before the host is built (ServiceFactory asks for it too late, which leaves a TestServer).
        Factory.UseKestrel(0);
        Factory.StartServer();
        BaseAddress = ServerAddress(Factory);
        Client = NewClient();
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        DataSource = NpgsqlDataSource.Create(TestInfrastructure.PostgresDatabase(Database));
        var health = await Factory.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(60));
        Assert.Equal(BusHealthStatus.Healthy, health);
    }

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient NewClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    private static Uri ServerAddress(ServiceFactory<Program> factory)
    {
        var addresses = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var address = addresses.FirstOrDefault(a => !a.EndsWith(":0", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("Kestrel reported no bound address: " + string.Join(",", addresses));
        return new Uri(address.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1").Replace("localhost", "127.0.0.1"));
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
        await DataSource.DisposeAsync();
        await TestInfrastructure.DropDatabaseAsync(Database);
        await DeleteQueueAsync();
    }

    /// <summary>Sends straight to this fixture's queue (not a publish), so other services' queues never see test events.</summary>
    public async Task SendAsync(params RequestCompleted[] events)
    {
        var endpoint = await Factory.Services.GetRequiredService<IBus>().GetSendEndpoint(new Uri($"queue:{Queue}"));
        foreach (var e in events) await endpoint.Send(e);
    }

    /// <summary>Sends the events in one <see cref="RequestsCompleted"/> envelope, as the edge batches them, straight to this fixture's queue.</summary>
    public async Task SendEnvelopeAsync(params RequestCompleted[] events)
    {
        var endpoint = await Factory.Services.GetRequiredService<IBus>().GetSendEndpoint(new Uri($"queue:{Queue}"));
        await endpoint.Send(new RequestsCompleted { Requests = events });
    }

    /// <summary>Publishes as an older edge does: to the <see cref="RequestCompleted"/> exchange, which routes to every bound queue.</summary>
    public Task PublishAsync(RequestCompleted e) => Factory.Services.GetRequiredService<IBus>().Publish(e);

    /// <summary>Publishes as the edge does: an envelope to the <see cref="RequestsCompleted"/> exchange, which routes to every bound queue.</summary>
    public Task PublishEnvelopeAsync(params RequestCompleted[] events) =>
        Factory.Services.GetRequiredService<IBus>().Publish(new RequestsCompleted { Requests = events });

    /// <summary>Messages waiting in this fixture's error queue (0 when nothing ever faulted, so the queue was never declared).</summary>
    public async Task<uint> ErrorQueueDepthAsync()
    {
        var factory = new ConnectionFactory { Uri = new Uri(TestInfrastructure.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync($"{Queue}_error")).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<long> CountAsync(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public Task<JsonElement> GetJsonAsync(string url) => Client.GetFromJsonAsync<JsonElement>(url);

    /// <summary>Polls the list endpoint until the wallet has <paramref name="count"/> rows (fails after 30 s).</summary>
    public async Task<JsonElement[]> WaitForWalletRowsAsync(Guid walletId, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var page = await GetJsonAsync($"/admin/v1/logs?wallet_id={walletId}&limit=1000");
            var rows = page.GetProperty("data").EnumerateArray().ToArray();
            if (rows.Length == count || DateTime.UtcNow > deadline)
            {
                Assert.Equal(count, rows.Length);
                return rows;
            }
            await Task.Delay(100);
        }
    }

    private async Task DeleteQueueAsync()
    {
        var factory = new ConnectionFactory { Uri = new Uri(TestInfrastructure.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        foreach (var name in new[] { Queue, $"{Queue}_error", $"{Queue}_skipped" })
        {
            await using var channel = await connection.CreateChannelAsync();
            try
            {
                await channel.QueueDeleteAsync(name);
                await channel.ExchangeDeleteAsync(name);
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                // Not declared in this run.
            }
        }
    }
}

internal static class Events
{
    public static RequestCompleted Make(Guid walletId, Guid? keyId = null, string model = "gpt-4o-mini", int status = 200,
        DateTimeOffset? createdAt = null, string? requestId = null, long input = 10, long output = 5, long costMicros = 1_500) => new()
    {
        RequestId = requestId ?? $"req_{Guid.NewGuid():N}",
        CreatedAt = createdAt ?? DateTimeOffset.UtcNow,
        KeyId = keyId ?? Guid.NewGuid(),
        KeyHint = "nr-…abcd",
        WalletId = walletId,
        ClientFormat = "openai-chat",
        Route = "/v1/chat/completions",
        Model = model,
        UpstreamProvider = "simulated",
        UpstreamModel = model + "-upstream",
        Stream = false,
        Status = status,
        ErrorCode = status == 200 ? null : "insufficient_quota",
        InputTokens = input,
        CachedInputTokens = 2,
        OutputTokens = output,
        ReasoningTokens = 1,
        HeldMicros = 10_000,
        CostMicros = costMicros,
        LatencyMs = 12.5,
        UpstreamTtfbMs = 3.25,
        ClientIp = "127.0.0.1",
        UserAgent = "tests/1.0",
    };
}
