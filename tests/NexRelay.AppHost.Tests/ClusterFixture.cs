using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NexRelay.ServiceDefaults;
using NexRelay.Testing;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// Boots the whole cluster through the real AppHost (DistributedApplicationTestingBuilder) against the real PostgreSQL, Redis
/// and RabbitMQ that ./test.sh started, once for every test in the collection. The edge gets a free port of its own so a
/// running ./run.sh is never disturbed.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    public DistributedApplication App { get; private set; } = null!;
    public string AdminToken { get; } = "nra_test_" + Guid.NewGuid().ToString("N");
    /// <summary>The HMAC secret keys are hashed with, so a test can find a key's snapshot in Redis.</summary>
    public string KeyHashSecret { get; } = $"{Guid.NewGuid():N}{Guid.NewGuid():N}";
    public Uri EdgeUrl { get; private set; } = null!;
    public HttpClient Edge { get; private set; } = null!;
    /// <summary>A second edge replica: scale-out tests spread load over both.</summary>
    public Uri Edge2Url { get; private set; } = null!;
    public HttpClient Edge2 { get; private set; } = null!;

    /// <summary>
    /// The one address whose <c>X-Forwarded-For</c> the edges believe (<c>NexRelay:ForwardedHeaders:KnownNetworks</c>), as
    /// an Ingress controller's would be; every other test sends from elsewhere and is its own client.
    /// </summary>
    public static readonly IPAddress TrustedProxy = IPAddress.Parse("127.0.0.4");

    /// <summary>Settings a fixture of its own adds to (or overrides in) the shared cluster's.</summary>
    protected virtual IEnumerable<string> ExtraSettings() => [];

    /// <summary>Resources to wait for beyond the services and the first edge (the second edge replica by default).</summary>
    protected virtual bool SecondEdge => true;

    public virtual async Task InitializeAsync()
    {
        var edgePort = FreePort();
        var edge2Port = FreePort();
        EdgeUrl = new Uri($"http://127.0.0.1:{edgePort}/");
        Edge2Url = new Uri($"http://127.0.0.1:{edge2Port}/");
        string[] args =
        [
            $"NEXRELAY_EDGE_PORT={edgePort}",
            .. SecondEdge ? [$"NexRelay:ExtraEdgePorts={edge2Port}"] : Array.Empty<string>(),
            $"NEXRELAY_ADMIN_TOKEN={AdminToken}",
            $"NEXRELAY_KEY_HASH_SECRET={KeyHashSecret}",
            $"NEXRELAY_PG_PORT={TestInfrastructure.Need("NEXRELAY_PG_PORT")}",
            $"NEXRELAY_PG_PASSWORD={TestInfrastructure.Need("NEXRELAY_PG_PASSWORD")}",
            $"NEXRELAY_REDIS_PORT={TestInfrastructure.Need("NEXRELAY_REDIS_PORT")}",
            $"NEXRELAY_REDIS_PASSWORD={TestInfrastructure.Need("NEXRELAY_REDIS_PASSWORD")}",
            $"NEXRELAY_RABBITMQ_PORT={TestInfrastructure.Need("NEXRELAY_RABBITMQ_PORT")}",
            $"NEXRELAY_RABBITMQ_PASSWORD={TestInfrastructure.Need("NEXRELAY_RABBITMQ_PASSWORD")}",
            .. TestCatalog.Settings,
            $"NexRelay:ForwardedHeaders:KnownNetworks:0={TrustedProxy}/32",
            // The console has browser tests of its own (ConsoleTests, on the AppHost as ./run.sh starts it).
            "NexRelay:Console:Enabled=false",
            .. ExtraSettings(),
        ];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.NexRelay_AppHost>(args);
        builder.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        App = await builder.BuildAsync();
        using var cts = new CancellationTokenSource(StartTimeout);
        await App.StartAsync(cts.Token);
        string[] resources = [ResourceNames.SimulatedProvider, ResourceNames.KeyPolicy, ResourceNames.Billing, ResourceNames.Logging, ResourceNames.Edge];
        foreach (var name in SecondEdge ? [.. resources, ResourceNames.Edge + "-2"] : resources)
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(name, cts.Token);
        }
        Edge = new HttpClient { BaseAddress = EdgeUrl, Timeout = TimeSpan.FromSeconds(60) };
        if (SecondEdge) Edge2 = new HttpClient { BaseAddress = Edge2Url, Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient AdminClient()
    {
        var client = new HttpClient { BaseAddress = EdgeUrl, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }

    public virtual async Task DisposeAsync()
    {
        Edge?.Dispose();
        Edge2?.Dispose();
        if (App is not null) await App.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
