using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using NexRelay.Testing;
using NexRelay.ServiceDefaults;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// The AppHost started as ./run.sh starts it (its own executable, the dashboard on, plain HTTP on 127.0.0.1, a browser
/// token for the frontend, an OTLP API key generated for the run, PostgreSQL, Redis and RabbitMQ run by the AppHost itself),
/// on servers of its own (scripts/infra.sh's dashboard profile) since it runs beside the other test clusters. Not the
/// testing builder: that one runs without the dashboard.
/// </summary>
public sealed class DashboardCluster : IAsyncLifetime
{
    /// <summary>scripts/infra.sh's profile for this test: its own ports and data folder.</summary>
    private const string Profile = "dashboard";
    private Process? _appHost;

    public string BrowserToken { get; } = Guid.NewGuid().ToString("N");
    public string AdminToken { get; } = "nra_test_" + Guid.NewGuid().ToString("N");
    public Uri DashboardUrl { get; } = new($"http://127.0.0.1:{Port()}");
    public Uri OtlpHttpUrl { get; } = new($"http://127.0.0.1:{Port()}");
    public Uri EdgeUrl { get; } = new($"http://127.0.0.1:{Port()}");
    public Uri ConsoleUrl { get; } = new($"http://127.0.0.1:{Port()}");
    public string LogPath { get; } = Path.Combine(DashboardTests.Artifacts, "apphost.log");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DashboardTests.Artifacts);
        // The dashboard profile's servers, run by this AppHost itself as ./run.sh's are (NexRelay:Infrastructure=local), from a
        // fresh data folder: the resources page must show them starting, running and healthy.
        await InfraAsync("stop");
        var data = Path.Combine(DashboardTests.RepositoryRoot(), ".nexrelay", Profile);
        if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
        await InfraAsync("prepare");

        var appHost = Path.Combine(DashboardTests.RepositoryRoot(), "NexRelay.AppHost", "bin", "Debug", "net10.0", "NexRelay.AppHost");
        // setsid: the AppHost leads a process group of its own, so that the whole group can be stopped if it does not stop.
        var start = new ProcessStartInfo("setsid", [appHost])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(appHost)!,
        };
        var env = start.Environment;
        // The profile's env file, as ./run.sh loads its own: the servers' ports and passwords, NexRelay:Infrastructure=local.
        foreach (var line in File.ReadAllLines(Path.Combine(data, "env")))
        {
            var setting = line.StartsWith("export ", StringComparison.Ordinal) ? line["export ".Length..] : line;
            if (setting.IndexOf('=', StringComparison.Ordinal) is > 0 and var eq) env[setting[..eq]] = setting[(eq + 1)..];
        }
        env["NEXRELAY_EDGE_PORT"] = EdgeUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["NEXRELAY_CONSOLE_PORT"] = ConsoleUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["NEXRELAY_ADMIN_TOKEN"] = AdminToken;
        env["NEXRELAY_KEY_HASH_SECRET"] = $"{Guid.NewGuid():N}{Guid.NewGuid():N}";
        // As ./run.sh sets them.
        env["DOTNET_ENVIRONMENT"] = env["ASPNETCORE_ENVIRONMENT"] = "Development";
        env["ASPNETCORE_URLS"] = DashboardUrl.ToString();
        env["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        env["ASPIRE_TRUST_DEVELOPER_CERTIFICATE"] = "false";
        env["ASPIRE_DASHBOARD_FRONTEND_BROWSERTOKEN"] = BrowserToken;
        env["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://127.0.0.1:{Port()}";
        env["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = OtlpHttpUrl.ToString();
        env["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://127.0.0.1:{Port()}";
        _appHost = Process.Start(start)!;
        var log = new StreamWriter(LogPath) { AutoFlush = true };
        _appHost.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _appHost.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _appHost.BeginOutputReadLine();
        _appHost.BeginErrorReadLine();

        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddMinutes(4);
        foreach (var url in new[] { new Uri(EdgeUrl, "/health"), new Uri(ConsoleUrl, "/health"), DashboardUrl })
        {
            while (true)
            {
                Assert.False(_appHost.HasExited, $"the AppHost exited; see {LogPath}");
                try
                {
                    using var response = await client.GetAsync(url);
                    if (url == DashboardUrl || response.IsSuccessStatusCode) break;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                }
                Assert.True(DateTime.UtcNow < deadline, $"{url} never answered; see {LogPath}");
                await Task.Delay(500);
            }
        }
    }

    public HttpClient Edge() => new() { BaseAddress = EdgeUrl, Timeout = TimeSpan.FromSeconds(60) };

    public async Task DisposeAsync()
    {
        if (_appHost is { HasExited: false } appHost)
        {
            // As ./run.sh stops it: TERM, and DCP stops the services; the group is killed only if that takes too long.
            Process.Start("kill", ["-TERM", appHost.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
            if (!appHost.WaitForExit(TimeSpan.FromSeconds(60)))
                Process.Start("kill", ["-KILL", "--", "-" + appHost.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
        }
        _appHost?.Dispose();
        // DCP stops the servers with the AppHost; this sweeps up after a run that could not.
        await InfraAsync("stop");
    }

    private static async Task InfraAsync(string command)
    {
        var script = Path.Combine(DashboardTests.RepositoryRoot(), "scripts", "infra.sh");
        using var infra = Process.Start(new ProcessStartInfo(script, [command, Profile]) { RedirectStandardError = true, UseShellExecute = false })!;
        var errors = await infra.StandardError.ReadToEndAsync();
        await infra.WaitForExitAsync();
        Assert.True(infra.ExitCode == 0, $"scripts/infra.sh {command} {Profile} failed: {errors}");
    }

    private static int Port()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// The Aspire dashboard as an operator sees it, in a real browser (Debian's chromium through Playwright): the resources,
/// a request's trace across the services, NexRelay's instruments. Artifacts go to .nexrelay/test/results/dashboard.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardTests(DashboardCluster cluster)
{
    /// <summary>Artifacts and the AppHost's log, kept after the run.</summary>
    public static readonly string Artifacts = Path.Combine(RepositoryRoot(), ".nexrelay", "test", "results", "dashboard");

    [Fact]
    public async Task Telemetry_without_the_runs_api_key_is_refused()
    {
        using var client = new HttpClient();
        using var content = new ByteArrayContent([]);
        content.Headers.ContentType = new("application/x-protobuf");
        using var response = await client.PostAsync(new Uri(cluster.OtlpHttpUrl, "/v1/traces"), content);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_dashboard_needs_the_browser_token()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var response = await client.GetAsync(cluster.DashboardUrl);
        Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.Unauthorized,
            $"{(int)response.StatusCode} {response.Headers.Location}");
        if (response.Headers.Location is { } location) Assert.Contains("login", location.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_operator_sees_the_resources_a_requests_trace_and_nexrelays_instruments()
    {
        var key = await DemoKeyAsync();
        using var edge = cluster.Edge();
        for (var i = 0; i < 3; i++)
        {
            using var response = await PostAsync(edge, key, "/api/v1/chat/completions", Chat("gpt-5.4"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Directory.CreateDirectory(Artifacts);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 1200 } });
        page.SetDefaultTimeout(60_000);

        // The login link ./run.sh prints: the token signs the browser in and lands on the resources page.
        await page.GotoAsync(new Uri(cluster.DashboardUrl, $"/login?t={cluster.BrowserToken}").ToString());
        // The six services, the three servers the AppHost runs and each service's database on PostgreSQL.
        string[] resources = [ResourceNames.Edge, ResourceNames.Billing, ResourceNames.KeyPolicy, ResourceNames.Logging, ResourceNames.SimulatedProvider, ResourceNames.Console,
            ResourceNames.Postgres, ResourceNames.Redis, ResourceNames.Messaging, ResourceNames.BillingDb, ResourceNames.KeyPolicyDb, ResourceNames.LoggingDb];
        // Every row, each running (the page fills in as the resource service streams them; slower beside other test clusters).
        await Eventually(page, async () => await page.InnerTextAsync("body") is var text
            && resources.All(name => text.Split('\n').Contains(name)) && text.Split("Running").Length > resources.Length,
            $"{resources.Length} resources running", TimeSpan.FromMinutes(3));
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "resources.png"), FullPage = true });
        var resourcesText = await page.InnerTextAsync("body");
        File.WriteAllText(Path.Combine(Artifacts, "resources.txt"), resourcesText);
        // No false alarms: nothing unhealthy, and no certificate error for a cluster that uses no certificate.
        Assert.DoesNotContain("Unhealthy", resourcesText);
        Assert.DoesNotContain("certificate", resourcesText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("unsecured", resourcesText, StringComparison.OrdinalIgnoreCase);

        // The servers' console logs are the servers' own output.
        await page.GotoAsync(new Uri(cluster.DashboardUrl, $"/consolelogs/resource/{ResourceNames.Postgres}").ToString());
        await Eventually(page, async () => (await page.InnerTextAsync("body")).Contains("ready to accept connections", StringComparison.Ordinal), "PostgreSQL's own log");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "postgres-log.png") });

        // The graph: the services' arrows to the servers and databases they use.
        await page.GotoAsync(new Uri(cluster.DashboardUrl, "/?view=Graph").ToString());
        await Task.Delay(3000);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "graph.png") });

        // Traces: the edge's chat requests are there (the edge's own list: billing's and logging's background queries fill
        // the list of all traces every few seconds).
        await page.GotoAsync(new Uri(cluster.DashboardUrl, $"/traces/resource/{ResourceNames.Edge}").ToString());
        // One request is one trace: its row lists the edge's spans and billing's (the hold, the settlement), not the edge's alone.
        await Eventually(page, async () => ChatTraceRows(await page.InnerTextAsync("body")).Any(row => row.Contains("billing (", StringComparison.Ordinal)),
            "a chat trace with billing's spans in it");
        // Each service's queries are named for its own database (the three share one server, so one address): billing's
        // hold and settlement reach billingdb, logging's batch loggingdb.
        await Eventually(page, async () => await page.InnerTextAsync("body") is var text
            && text.Contains($"{ResourceNames.BillingDb} (", StringComparison.Ordinal) && text.Contains($"{ResourceNames.LoggingDb} (", StringComparison.Ordinal),
            "billing's and logging's queries against their own databases");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "traces.png"), FullPage = true });
        File.WriteAllText(Path.Combine(Artifacts, "traces.txt"), await page.InnerTextAsync("body"));
        // One request's trace, opened from the list. The list re-renders as new traces stream in: a click that lands during a
        // re-render opens nothing, so a slow machine gets a few tries (the reason CI once timed out here).
        for (var attempt = 1; ; attempt++)
        {
            await page.GetByText("POST /api/v1/chat/completions").First.ClickAsync();
            try
            {
                await page.WaitForURLAsync(url => url.Contains("/traces/detail/", StringComparison.Ordinal), new() { Timeout = 15_000 });
                break;
            }
            catch (TimeoutException) when (attempt < 4)
            {
                await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, $"trace-click-{attempt}.png") });
            }
        }
        await Task.Delay(2000);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "trace.png") });
        File.WriteAllText(Path.Combine(Artifacts, "trace.txt"), await page.InnerTextAsync("body"));

        // Metrics: the edge's NexRelay instruments.
        await page.GotoAsync(new Uri(cluster.DashboardUrl, $"/metrics/resource/{ResourceNames.Edge}").ToString());
        await Eventually(page, async () => (await page.InnerTextAsync("body")).Contains("nexrelay.edge", StringComparison.Ordinal), "NexRelay's edge instruments");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "metrics.png"), FullPage = true });
        File.WriteAllText(Path.Combine(Artifacts, "metrics.txt"), await page.InnerTextAsync("body"));
    }

    /// <summary>The trace list's rows (as the page's text) of chat requests: from the name to the duration.</summary>
    private static IEnumerable<string> ChatTraceRows(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].Contains("chat/completions", StringComparison.Ordinal)) continue;
            var end = Array.FindIndex(lines, i + 1, l => l.EndsWith("ms", StringComparison.Ordinal) || l.EndsWith('s') && char.IsDigit(l.TrimEnd('s').LastOrDefault()));
            yield return string.Join('\n', lines[i..(end < 0 ? lines.Length : end + 1)]);
        }
    }

    /// <summary>A funded wallet and a key on it, through the admin API.</summary>
    private async Task<string> DemoKeyAsync()
    {
        using var admin = cluster.Edge();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", cluster.AdminToken);
        using var wallet = await admin.PostAsJsonAsync("/admin/v1/wallets", new { name = "dashboard" });
        var walletId = JsonNode.Parse(await wallet.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        using (var credit = await admin.PostAsJsonAsync($"/admin/v1/wallets/{walletId}/credits", new { amount_usd = 10, reference = "dashboard" }))
            credit.EnsureSuccessStatusCode();
        using var key = await admin.PostAsJsonAsync("/admin/v1/keys", new { wallet_id = walletId, name = "dashboard" });
        return JsonNode.Parse(await key.Content.ReadAsStringAsync())!["key"]!.GetValue<string>();
    }

    /// <summary>Reloads until <paramref name="condition"/> holds (telemetry arrives in batches), at most <paramref name="limit"/> (a minute).</summary>
    private static async Task Eventually(IPage page, Func<Task<bool>> condition, string what, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromMinutes(1));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "failed.png"), FullPage = true });
                Assert.Fail($"the dashboard never showed {what}: {await page.InnerTextAsync("body")}");
            }
            await Task.Delay(3000);
            await page.ReloadAsync(new() { WaitUntil = WaitUntilState.NetworkIdle });
            await Task.Delay(1000);
        }
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NexRelay.sln"))) dir = dir.Parent;
        return dir?.FullName ?? AppContext.BaseDirectory;
    }
}

/// <summary>One AppHost started as ./run.sh starts it, shared by the dashboard's and the console's browser tests.</summary>
[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardCluster>
{
    public const string Name = "dashboard";
}
