using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;
using NexRelay.ServiceDefaults;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>What the stored truth says about a tenant's requests: its log rows, its ledger, and what the upstream saw.</summary>
internal static class Books
{
    /// <summary>The key's log rows once there are at least <paramref name="count"/> of them.</summary>
    public static async Task<List<JsonObject>> RowsAsync(ClusterFixture cluster, Tenant tenant, int count = 1)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var rows = await AllLogsAsync(cluster.Edge, tenant.Key);
            if (rows.Count >= count) return rows;
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"{rows.Count} of {count} log rows after 30 s");
            await Task.Delay(200);
        }
    }

    /// <summary>The wallet's ledger, newest first (every page).</summary>
    public static async Task<List<JsonObject>> LedgerAsync(ClusterFixture cluster, Guid walletId)
    {
        using var admin = cluster.AdminClient();
        var entries = new List<JsonObject>();
        string? cursor = null;
        do
        {
            var page = (await admin.GetFromJsonAsync<JsonObject>($"/admin/v1/wallets/{walletId}/ledger?limit=500"
                + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))))!;
            entries.AddRange(page["data"]!.AsArray().Select(e => e!.AsObject()));
            cursor = page["next_cursor"]?.GetValue<string>();
        } while (cursor is not null);
        return entries;
    }

    /// <summary>The capture entry of a request, once its settlement has been written.</summary>
    public static async Task<JsonObject> CaptureAsync(ClusterFixture cluster, Tenant tenant, string requestId)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var capture = (await LedgerAsync(cluster, tenant.WalletId))
                .SingleOrDefault(e => e["kind"]!.GetValue<string>() == "capture" && e["request_id"]?.GetValue<string>() == requestId);
            if (capture is not null) return capture;
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"no capture entry for {requestId}");
            await Task.Delay(200);
        }
    }

    public static string[] Flags(JsonObject entry) => [.. entry["flags"]!.AsArray().Select(f => f!.GetValue<string>())];

    /// <summary>How many requests carrying the prompt directive <c>[sim:tag=…]</c> reached the simulated provider.</summary>
    public static async Task<int> UpstreamCallsAsync(ClusterFixture cluster, string tag)
    {
        using var sim = new HttpClient { BaseAddress = cluster.App.GetEndpoint(ResourceNames.SimulatedProvider, "http") };
        using var response = await sim.GetAsync($"/sim/requests/{Uri.EscapeDataString(tag)}");
        if (response.StatusCode == HttpStatusCode.NotFound) return 0;
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["count"]!.GetValue<int>();
    }

    /// <summary>A prompt of about <paramref name="words"/> words: its input is worth charging for.</summary>
    public static string Prompt(int words = 300) =>
        string.Join(' ', Enumerable.Range(0, words).Select(i => i % 7 == 0 ? "gateway" : i % 3 == 0 ? "ledger" : "token"));
}
