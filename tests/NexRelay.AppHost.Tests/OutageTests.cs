using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using NexRelay.ServiceDefaults;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// Nothing is lost: RabbitMQ stopped for 30 s under load, then the logging service stopped for 30 s, then billing restarted, and
/// afterwards every request has exactly one log row, every hold is settled once and the wallet equals the logs.
/// These stop shared servers, so ./test.sh runs them on their own after the rest (trait Category=Outage).
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Outage")]
public sealed class OutageTests(ClusterFixture cluster)
{
    private static readonly TimeSpan OutageLength = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Rabbitmq_down_then_logging_down_then_billing_restarted_under_load_lose_nothing()
    {
        const decimal credit = 20m;
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: credit);
        var ids = new ConcurrentBag<string>();
        var unexpected = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            var edge = worker % 2 == 0 ? cluster.Edge : cluster.Edge2;
            var body = Chat("gpt-5.4", 5, stream: worker == 3);
            while (!stop.IsCancellationRequested)
            {
                using var response = await PostAsync(edge, tenant.Key, "/api/v1/chat/completions", body);
                ids.Add(RequestId(response));
                var text = await response.Content.ReadAsStringAsync();
                // While billing restarts, holds cannot be taken: a clean 503, logged like any refusal.
                if (response.StatusCode != HttpStatusCode.OK && !(response.StatusCode == HttpStatusCode.ServiceUnavailable && text.Contains("billing_unavailable")))
                    unexpected.Add($"{(int)response.StatusCode} {text}");
                await Task.Delay(50);
            }
        })).ToList();

        await Task.Delay(TimeSpan.FromSeconds(3));
        await Infra("stop-rabbitmq");
        await Task.Delay(OutageLength);
        await Infra("start-rabbitmq");
        await Task.Delay(TimeSpan.FromSeconds(5));

        await cluster.App.ResourceCommands.ExecuteCommandAsync(ResourceNames.Logging, KnownResourceCommands.StopCommand);
        await Task.Delay(OutageLength);
        await cluster.App.ResourceCommands.ExecuteCommandAsync(ResourceNames.Logging, KnownResourceCommands.StartCommand);
        await cluster.App.ResourceNotifications.WaitForResourceHealthyAsync(ResourceNames.Logging).WaitAsync(TimeSpan.FromMinutes(2));

        await cluster.App.ResourceCommands.ExecuteCommandAsync(ResourceNames.Billing, KnownResourceCommands.RestartCommand);
        await cluster.App.ResourceNotifications.WaitForResourceHealthyAsync(ResourceNames.Billing).WaitAsync(TimeSpan.FromMinutes(2));
        await Task.Delay(TimeSpan.FromSeconds(3));

        stop.Cancel();
        await Task.WhenAll(load);
        Assert.Empty(unexpected);
        Assert.True(ids.Count > 100, $"only {ids.Count} requests under load");

        // Every request id exactly once in the logs, and every hold settled: the wallet equals the sum of logged costs.
        var deadline = Stopwatch.StartNew();
        List<System.Text.Json.Nodes.JsonObject> rows;
        while (true)
        {
            rows = await AllLogsAsync(cluster.Edge, tenant.Key);
            if (rows.Count >= ids.Count || deadline.Elapsed > TimeSpan.FromMinutes(2)) break;
            await Task.Delay(1000);
        }
        var logged = rows.Select(r => r["request_id"]!.GetValue<string>()).ToList();
        Assert.Equal(logged.Count, logged.Distinct().Count());
        Assert.Equal(ids.OrderBy(x => x), logged.OrderBy(x => x));
        var credits = await SettledCreditsAsync(cluster.Edge, tenant.Key);
        Assert.Equal(credit - rows.Sum(r => r["cost_usd"]!.GetValue<decimal>()), credits["balance_usd"]!.GetValue<decimal>());
    }

    internal static async Task Infra(string command)
    {
        var script = Path.Combine(GeminiSdkTests.RepoRoot(), "scripts", "infra.sh");
        using var process = Process.Start(new ProcessStartInfo(script, [command, "test"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var err = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(process.ExitCode == 0, $"infra.sh {command}: {await err}");
    }
}
