using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NexRelay.ServiceDefaults;
using NexRelay.Testing;

namespace NexRelay.Chaos.Tests;

/// <summary>
/// The whole cluster (two edges, billing, key-policy, logging, the simulated provider) through the real AppHost, on databases
/// and queues of its own so the invariant checker can read every row as the truth of this suite alone. Billing sweeps every
/// second and releases unrenewed reservations after 20 s, so "nothing left reserved" is checked within a test.
/// </summary>
public sealed class ChaosCluster : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];

    public DistributedApplication App { get; private set; } = null!;
    public string AdminToken { get; } = "nra_chaos_" + Guid.NewGuid().ToString("N");
    public string KeyHashSecret { get; } = $"{Guid.NewGuid():N}{Guid.NewGuid():N}";
    public HttpClient[] Edges { get; private set; } = [];
    public Uri[] EdgeUrls { get; private set; } = [];
    public string BillingDb { get; private set; } = "";
    public string KeyPolicyDb { get; private set; } = "";
    public string LoggingDb { get; private set; } = "";
    public ChaosReport Report { get; } = new();
    public string SpoolRoot { get; private set; } = "";

    public static readonly string[] EdgeNames = [ResourceNames.Edge, ResourceNames.Edge + "-2"];

    public async Task InitializeAsync()
    {
        BillingDb = await TestInfrastructure.CreateDatabaseAsync("chaos_billing");
        KeyPolicyDb = await TestInfrastructure.CreateDatabaseAsync("chaos_keypolicy");
        LoggingDb = await TestInfrastructure.CreateDatabaseAsync("chaos_logging");
        var ports = new[] { FreePort(), FreePort() };
        EdgeUrls = [.. ports.Select(p => new Uri($"http://127.0.0.1:{p}/"))];
        string[] args =
        [
            $"NEXRELAY_EDGE_PORT={ports[0]}",
            $"NexRelay:ExtraEdgePorts={ports[1]}",
            $"NEXRELAY_ADMIN_TOKEN={AdminToken}",
            $"NEXRELAY_KEY_HASH_SECRET={KeyHashSecret}",
            $"NEXRELAY_PG_PORT={TestInfrastructure.Need("NEXRELAY_PG_PORT")}",
            $"NEXRELAY_PG_PASSWORD={TestInfrastructure.Need("NEXRELAY_PG_PASSWORD")}",
            $"NEXRELAY_REDIS_PORT={TestInfrastructure.Need("NEXRELAY_REDIS_PORT")}",
            $"NEXRELAY_REDIS_PASSWORD={TestInfrastructure.Need("NEXRELAY_REDIS_PASSWORD")}",
            $"NEXRELAY_RABBITMQ_PORT={TestInfrastructure.Need("NEXRELAY_RABBITMQ_PORT")}",
            $"NEXRELAY_RABBITMQ_PASSWORD={TestInfrastructure.Need("NEXRELAY_RABBITMQ_PASSWORD")}",
            $"NexRelay:Databases:Billing={BillingDb}",
            $"NexRelay:Databases:KeyPolicy={KeyPolicyDb}",
            $"NexRelay:Databases:Logging={LoggingDb}",
            "Billing:HoldTimeoutSeconds=20",
            "Billing:ExpirySweepSeconds=1",
            $"Billing:SettlementQueue=settle-chaos-{_suffix}",
            $"Logging:IngestQueue=log-chaos-{_suffix}",
            "NexRelay:Relay:FirstByteTimeout=00:00:05",
            "NexRelay:Relay:IdleTimeout=00:00:02",
            "NexRelay:Relay:RetryBackoff=00:00:00.050",
            "Edge:SpoolReplayInterval=00:00:01",
            // A killed edge's leases are released 5 s + the 20 s hold timeout after their window.
            "Holds:Leases:ReserveSeconds=5",
            "NexRelay:Relay:BreakerBreakDuration=00:00:02",
            .. ChaosCatalog.Settings,
        ];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.NexRelay_AppHost>(args);
        builder.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        App = await builder.BuildAsync();
        SpoolRoot = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", ".nexrelay", "spool"));
        using var cts = new CancellationTokenSource(StartTimeout);
        await App.StartAsync(cts.Token);
        string[] resources = [ResourceNames.SimulatedProvider, ResourceNames.KeyPolicy, ResourceNames.Billing, ResourceNames.Logging, .. EdgeNames];
        foreach (var name in resources)
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(name, cts.Token);
        }
        Edges = [.. EdgeUrls.Select(u => new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromSeconds(10) })
        {
            BaseAddress = u,
            Timeout = TimeSpan.FromSeconds(60),
        })];
    }

    public async Task DisposeAsync()
    {
        Report.Write();
        foreach (var edge in Edges) edge.Dispose();
        if (App is not null) await App.DisposeAsync();
        foreach (var db in new[] { BillingDb, KeyPolicyDb, LoggingDb }.Where(d => d.Length > 0)) await TestInfrastructure.DropDatabaseAsync(db);
    }

    public HttpClient AdminClient()
    {
        var client = new HttpClient { BaseAddress = EdgeUrls[0], Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }

    /// <summary>A wallet credited with <paramref name="creditUsd"/> and a key on it.</summary>
    public async Task<Tenant> TenantAsync(decimal creditUsd, JsonObject? policy = null)
    {
        using var admin = AdminClient();
        var wallet = await PostAsync(admin, "/admin/v1/wallets", new JsonObject { ["name"] = "chaos-" + Guid.NewGuid().ToString("N")[..8] });
        var walletId = Guid.Parse(wallet["id"]!.GetValue<string>());
        if (creditUsd > 0)
        {
            await PostAsync(admin, $"/admin/v1/wallets/{walletId}/credits", new JsonObject { ["amount_usd"] = creditUsd, ["reference"] = "seed-" + Guid.NewGuid() });
        }
        var body = policy?.DeepClone().AsObject() ?? [];
        body["wallet_id"] = walletId.ToString();
        body["name"] ??= "chaos key";
        var key = await PostAsync(admin, "/admin/v1/keys", body);
        return new Tenant(walletId, Guid.Parse(key["id"]!.GetValue<string>()), key["key"]!.GetValue<string>(), creditUsd);
    }

    /// <summary>SIGKILL: the process gets no chance to drain, flush or say goodbye. Returns once it is gone.</summary>
    public async Task KillAsync(string resource)
    {
        var pid = ProcessId(resource);
        using (var process = Process.GetProcessById(pid))
        {
            process.Kill(entireProcessTree: false); // SIGKILL on Unix
            await process.WaitForExitAsync();
        }
        await WaitForStateAsync(resource, s => s is "Exited" or "Finished" or "FailedToStart");
    }

    public async Task StartAsync(string resource)
    {
        await App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, cts.Token);
    }

    private int ProcessId(string resource)
    {
        Assert.True(App.ResourceNotifications.TryGetCurrentState(resource, out var state), $"no state for {resource}");
        var pid = state!.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value;
        Assert.NotNull(pid);
        return Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task WaitForStateAsync(string resource, Func<string?, bool> done)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (App.ResourceNotifications.TryGetCurrentState(resource, out var state) && done(state!.Snapshot.State?.Text)) return;
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"{resource} did not stop: {state?.Snapshot.State?.Text}");
            await Task.Delay(100);
        }
    }

    /// <summary>scripts/infra.sh for the test servers: stop-rabbitmq, start-rabbitmq, stop-postgres, start-postgres, ...</summary>
    public static async Task InfraAsync(string command)
    {
        var root = RepoRoot();
        using var process = Process.Start(new ProcessStartInfo(Path.Combine(root, "scripts", "infra.sh"), [command, "test"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = root,
        })!;
        var err = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"infra.sh {command}: {await err}");
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NexRelay.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("NexRelay.sln not found above the test binaries");
    }

    private static async Task<JsonObject> PostAsync(HttpClient client, string path, JsonObject body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public sealed record Tenant(Guid WalletId, Guid KeyId, string Key, decimal CreditUsd);

[CollectionDefinition(Name)]
public sealed class ChaosCollection : ICollectionFixture<ChaosCluster>
{
    public const string Name = "chaos";
}
