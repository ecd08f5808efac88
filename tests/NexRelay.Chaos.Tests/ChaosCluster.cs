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
/// second and releases unrenewed reservations after 120 s, so "nothing left reserved" is checked within a test.
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
    public SecretWatch Secrets { get; private set; } = null!;
    public string SettlementQueue => $"settle-chaos-{_suffix}";
    public string LogQueue => $"log-chaos-{_suffix}";

    public static readonly string[] EdgeNames = [ResourceNames.Edge, ResourceNames.Edge + "-2"];

    /// <summary>The edges' failed-auth limit, set explicitly so scenario 15 computes its bound from the values in force.</summary>
    public const int FailedAuthLimit = 20;
    public static readonly TimeSpan FailedAuthWindow = TimeSpan.FromSeconds(10);

    public async Task InitializeAsync()
    {
        BillingDb = await TestInfrastructure.CreateDatabaseAsync("chaos_billing");
        KeyPolicyDb = await TestInfrastructure.CreateDatabaseAsync("chaos_keypolicy");
        LoggingDb = await TestInfrastructure.CreateDatabaseAsync("chaos_logging");
        Secrets = new SecretWatch(FreePort());
        foreach (var secret in new[] { AdminToken, KeyHashSecret }.Concat(ChaosCatalog.ProviderKeys)) Secrets.Add(secret);
        Secrets.StartOtlpSink();
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
            // Short enough to see a killed edge's holds released within a scenario; the edges renew every 40 s what is still
            // needed (running requests, and finished ones whose settlement waits out a broker outage in the spool).
            "Billing:HoldTimeoutSeconds=120",
            "Billing:ExpirySweepSeconds=1",
            // After a billing kill, the edges' renewals land within a second or two; the chaos suite waits for the sweep.
            "Billing:ExpiryStartGraceSeconds=5",
            $"Billing:SettlementQueue={SettlementQueue}",
            $"Logging:IngestQueue={LogQueue}",
            "NexRelay:Relay:FirstByteTimeout=00:00:05",
            "NexRelay:Relay:IdleTimeout=00:00:02",
            "NexRelay:Relay:RetryBackoff=00:00:00.050",
            "Edge:SpoolReplayInterval=00:00:01",
            // A killed edge's leases are released 5 s + the hold timeout after their window.
            "Holds:Leases:ReserveSeconds=5",
            "NexRelay:Relay:BreakerBreakDuration=00:00:02",
            // The console is not under test here (its own browser tests run it).
            "NexRelay:Console:Enabled=false",
            $"NexRelay:Keys:FailedAuth:Limit={FailedAuthLimit}",
            $"NexRelay:Keys:FailedAuth:Window={FailedAuthWindow:c}",
            .. ChaosCatalog.Settings,
        ];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.NexRelay_AppHost>(args);
        builder.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        Secrets.ExportTelemetryFrom(builder);
        App = await builder.BuildAsync();
        SpoolRoot = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", ".nexrelay", "spool"));
        using var cts = new CancellationTokenSource(StartTimeout);
        await App.StartAsync(cts.Token);
        string[] resources = [ResourceNames.SimulatedProvider, ResourceNames.KeyPolicy, ResourceNames.Billing, ResourceNames.Logging, .. EdgeNames];
        foreach (var name in resources)
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(name, cts.Token);
        }
        Secrets.WatchLogs(App);
        await Secrets.TapBrokerAsync();
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
        if (Secrets is not null) await Secrets.DisposeAsync();
        if (EdgeUrls.Length > 0) KillStragglers();
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
        Secrets.Add(key["key"]!.GetValue<string>());
        return new Tenant(walletId, Guid.Parse(key["id"]!.GetValue<string>()), key["key"]!.GetValue<string>(), creditUsd);
    }

    /// <summary>
    /// SIGKILL: the process gets no chance to drain, flush or say goodbye. The orchestrator (DCP) starts a replacement on its
    /// own; if it has not within 10 s, the resource's start command does. Returns once the new process answers /health.
    /// </summary>
    public async Task KillAsync(string resource)
    {
        var victims = ProcessesOf(resource);
        Assert.NotEmpty(victims);
        foreach (var pid in victims)
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: false); // SIGKILL on Unix
            await process.WaitForExitAsync();
        }
        var clock = Stopwatch.StartNew();
        while (ProcessesOf(resource).Count == 0)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                await App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand);
                break;
            }
            await Task.Delay(200);
        }
        await WaitForHealthAsync(resource);
    }

    /// <summary>
    /// SIGKILL, and the orchestrator's replacement stopped as well: the service stays down until <see cref="StartAgainAsync"/>.
    /// </summary>
    public async Task KillAndKeepDownAsync(string resource)
    {
        foreach (var pid in ProcessesOf(resource))
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: false);
            await process.WaitForExitAsync();
        }
        await App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StopCommand);
        var clock = Stopwatch.StartNew();
        while (ProcessesOf(resource) is { Count: > 0 } left)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{resource} is still running");
            foreach (var pid in left)
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(entireProcessTree: false);
            }
            await Task.Delay(200);
        }
    }

    /// <summary>Starts a resource <see cref="KillAndKeepDownAsync"/> left down; returns once it answers /health.</summary>
    public async Task StartAgainAsync(string resource)
    {
        await App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand);
        await WaitForHealthAsync(resource);
    }

    /// <summary>This cluster's running processes of a resource (its name and a setting only this cluster gave it, in its environment).</summary>
    private List<int> ProcessesOf(string resource)
    {
        var marker = Marker(resource);
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string environment;
            try
            {
                environment = File.ReadAllText(Path.Combine(dir, "environ"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (environment.Contains($"OTEL_SERVICE_NAME={resource}\0", StringComparison.Ordinal) && environment.Contains(marker, StringComparison.Ordinal))
                pids.Add(pid);
        }
        return pids;
    }

    private string Marker(string resource) => resource switch
    {
        ResourceNames.Billing => "Database=" + BillingDb,
        ResourceNames.KeyPolicy => "Database=" + KeyPolicyDb,
        ResourceNames.Logging => "Database=" + LoggingDb,
        ResourceNames.Edge => $"edge-{EdgeUrls[0].Port}",
        _ when resource == EdgeNames[1] => $"edge-{EdgeUrls[1].Port}",
        _ => throw new ArgumentException($"no marker for {resource}", nameof(resource)),
    };

    private async Task WaitForHealthAsync(string resource)
    {
        var url = resource == EdgeNames[0] ? EdgeUrls[0] : resource == EdgeNames[1] ? EdgeUrls[1] : App.GetEndpoint(resource, "http");
        using var client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await client.GetAsync("/health");
                if (response.IsSuccessStatusCode) return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"{resource} did not come back healthy");
            await Task.Delay(200);
        }
    }

    /// <summary>Processes the orchestrator started in place of killed ones may outlive it: none may outlive the suite.</summary>
    private void KillStragglers()
    {
        string[] resources = [ResourceNames.Billing, ResourceNames.KeyPolicy, ResourceNames.Logging, .. EdgeNames];
        foreach (var resource in resources)
        {
            foreach (var pid in ProcessesOf(resource))
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
                {
                }
            }
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
