using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;
using NexRelay.ServiceDefaults;

namespace NexRelay.Chaos.Tests;

public sealed partial class Scenarios
{
    private const int HostileCases = 10_000;
    /// <summary>The edge's default NexRelay:Relay:MaxRequestBodyBytes (the chaos cluster does not change it).</summary>
    private const long EdgeBodyLimit = 20 * 1024 * 1024;

    [Fact]
    public async Task S14_Hostile_input_is_refused_in_the_callers_format_before_any_hold_or_upstream_call()
    {
        var clock = Stopwatch.StartNew();
        var tenant = await cluster.TenantAsync(20m);
        var tag = "chaos-hostile-" + Guid.NewGuid().ToString("N");
        var cases = HostileInputs.Generate(seed: 1714, HostileCases, tag, EdgeBodyLimit);
        using var sim = new HttpClient { BaseAddress = cluster.App.GetEndpoint(ResourceNames.SimulatedProvider, "http") };
        var upstreamBefore = await UpstreamTotalAsync(sim);
        var deadLettersBefore = await NewestDeadLettersAsync();
        await using var sampler = new BalanceSampler(_truth).Start();

        // Own clients: a 10 s limit per request (a hang is a failure), and connections Kestrel closes after a 431 stay theirs.
        // From an address of their own: the bad-key cases put it over the edges' failed-auth limit, which must not refuse
        // the next scenario's new keys from 127.0.0.1.
        var edges = cluster.EdgeUrls.Select(u => new HttpClient(LoopbackClient.Handler(LoopbackClient.Hostile, connections: 16))
        {
            BaseAddress = u,
            Timeout = Timeout.InfiniteTimeSpan,
        }).ToArray();
        var answers = new ConcurrentBag<HostileAnswer>();
        try
        {
            await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 16 },
                async (c, _) => answers.Add(await SendHostileAsync(edges[c.Id % edges.Length], c, tenant)));
        }
        finally
        {
            foreach (var edge in edges) edge.Dispose();
        }
        var sent = clock.Elapsed;

        var wrong = answers.Select(a => (Answer: a, Why: HostileAnswers.Violation(a))).Where(x => x.Why is not null).OrderBy(x => x.Answer.Case.Id).ToList();
        var holds = await _truth.HoldsPlacedAsync(tenant.WalletId);
        var upstreamCalls = await UpstreamTotalAsync(sim) - upstreamBefore;
        var tagged = (await sim.GetFromJsonAsync<JsonObject>($"/sim/requests/{tag}"))!["count"]!.GetValue<long>();
        var unhealthy = await UnhealthyServicesAsync();

        // After the storm a normal request still succeeds (a tenant of its own, so the hostile wallet stays untouched).
        var probe = await cluster.TenantAsync(1m);
        var normal = await new Load(cluster, [probe], new LoadShape()).SendAsync(cluster.Edges[0], probe, "gpt-5.4", stream: false, abandonAfter: null);

        var families = answers.GroupBy(a => a.Case.Family).OrderByDescending(g => g.Count())
            .Select(g => $"{g.Key}: {g.Count()} ({string.Join(", ", g.GroupBy(a => a.Status).OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Count()}"))})");
        Console.WriteLine($"S14: {cases.Count} cases sent in {sent.TotalSeconds:0.0} s; slowest {answers.Max(a => a.Elapsed).TotalMilliseconds:0} ms\n  "
            + string.Join("\n  ", families));
        foreach (var group in wrong.GroupBy(w => (w.Answer.Case.Family, w.Answer.Status, w.Answer.Case.Body is null ? "" : Encoding.UTF8.GetString(w.Answer.Case.Body[Math.Max(0, w.Answer.Case.Body.Length - 160)..]))).Take(60))
        {
            var (answer, why) = group.First();
            Console.WriteLine($"  WRONG ×{group.Count()} {answer.Case}: {why}\n      sent: {group.Key.Item3}");
        }

        var records = answers.Select(a => new ClientRecord(a.RequestId, tenant, "", false, a.Status, false, false, HostileAnswers.Violation(a)))
            .Append(normal).ToList();
        var faults = $"{cases.Count} hostile requests, {answers.Select(a => a.Case.Family).Distinct().Count()} families, {sent.TotalSeconds:0} s; " +
                     $"{wrong.Count} wrong answers, {holds} holds, {upstreamCalls} upstream calls";
        await ReportAsync("14. Hostile input (bodies, nesting, UTF-8, limits, types, keys, headers, routes)", faults, new HandMade(records), [tenant, probe], sampler);

        // Every refusal with a key is logged: hostile text (NULs, 100,000-character models) must be stored, not dead-lettered.
        await UntilStableAsync(() => _truth.LoggedAsync(tenant.WalletId));
        Assert.Equal(deadLettersBefore, await NewestDeadLettersAsync());
        Assert.True(wrong.Count == 0, $"{wrong.Count} wrong answers, e.g.\n" + string.Join("\n", wrong.Take(20).Select(w => $"{w.Answer.Case}: {w.Why}")));
        Assert.Equal(0, holds);
        Assert.Equal(0, upstreamCalls);
        Assert.Equal(0, tagged);
        Assert.Empty(unhealthy);
        Assert.True(normal.Complete, normal.Error);
    }

    private static async Task<HostileAnswer> SendHostileAsync(HttpClient edge, HostileCase c, Tenant tenant)
    {
        using var request = new HttpRequestMessage(c.Method, c.Path);
        if (c.Body is { } body)
        {
            request.Content = c.Chunked ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body);
            if (c.ContentType is { } contentType) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            if (c.Chunked) request.Headers.TransferEncodingChunked = true;
        }
        foreach (var (name, value) in c.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value)) request.Content?.Headers.TryAddWithoutValidation(name, value);
        }
        Authenticate(request, c, tenant.Key);

        var clock = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            using var response = await edge.SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            var requestId = response.Headers.TryGetValues("x-request-id", out var ids) ? ids.First() : null;
            return new HostileAnswer(c, (int)response.StatusCode, requestId, text, clock.Elapsed, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            return new HostileAnswer(c, 0, null, "", clock.Elapsed, $"{ex.GetType().Name}: {ex.Message}", TimedOut: ex is OperationCanceledException);
        }
    }

    /// <summary>The key where the caller's SDK puts it, or a broken one.</summary>
    private static void Authenticate(HttpRequestMessage request, HostileCase c, string key)
    {
        // Well-formed (prefix, length, alphabet) yet no key: a lookup that finds nothing.
        var unknown = key[..^1] + (key[^1] == 'A' ? 'B' : 'A');
        var presented = c.Auth switch
        {
            HostileAuth.Valid => key,
            HostileAuth.Unknown => unknown,
            HostileAuth.Malformed => "nrk_not a key",
            _ => null,
        };
        if (c.Auth == HostileAuth.WrongScheme)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("user:" + key)));
            return;
        }
        if (presented is null) return;
        switch (c.Envelope)
        {
            case Envelope.Anthropic:
                request.Headers.TryAddWithoutValidation("x-api-key", presented);
                request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
                break;
            case Envelope.Gemini:
                request.Headers.TryAddWithoutValidation("x-goog-api-key", presented);
                break;
            default:
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + presented);
                break;
        }
    }

    /// <summary>The newest dead letter's id in billing's and logging's stores ("" when none): unchanged means none was added.</summary>
    private async Task<string> NewestDeadLettersAsync()
    {
        using var admin = cluster.AdminClient();
        var newest = new List<string>();
        foreach (var store in new[] { "settlements", "logs" })
        {
            var page = (await admin.GetFromJsonAsync<JsonObject>($"/admin/v1/dead-letters/{store}?limit=1"))!;
            newest.Add(page["data"] is JsonArray { Count: > 0 } data ? data[0]!["id"]!.ToJsonString() : "");
        }
        return string.Join(",", newest);
    }

    /// <summary>Waits until a count has not changed for two seconds (at most a minute).</summary>
    private static async Task UntilStableAsync(Func<Task<long>> count)
    {
        var last = await count();
        var clock = Stopwatch.StartNew();
        for (var quiet = 0; quiet < 8 && clock.Elapsed < TimeSpan.FromMinutes(1); quiet++)
        {
            await Task.Delay(250);
            var now = await count();
            if (now != last) quiet = -1;
            last = now;
        }
    }

    private static async Task<long> UpstreamTotalAsync(HttpClient sim) =>
        (await sim.GetFromJsonAsync<JsonObject>("/sim/requests"))!["count"]!.GetValue<long>();

    /// <summary>Every service's /health, each edge's too: the names of those not answering 200.</summary>
    private async Task<List<string>> UnhealthyServicesAsync()
    {
        var targets = new List<(string Name, Uri Url)>
        {
            (ResourceNames.Billing, cluster.App.GetEndpoint(ResourceNames.Billing, "http")),
            (ResourceNames.KeyPolicy, cluster.App.GetEndpoint(ResourceNames.KeyPolicy, "http")),
            (ResourceNames.Logging, cluster.App.GetEndpoint(ResourceNames.Logging, "http")),
            (ResourceNames.SimulatedProvider, cluster.App.GetEndpoint(ResourceNames.SimulatedProvider, "http")),
        };
        targets.AddRange(cluster.EdgeUrls.Select((u, i) => (ChaosCluster.EdgeNames[i], u)));
        var unhealthy = new List<string>();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var (name, url) in targets)
        {
            try
            {
                using var response = await client.GetAsync(new Uri(url, "/health"));
                if (response.StatusCode != HttpStatusCode.OK) unhealthy.Add($"{name}: {(int)response.StatusCode}");
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                unhealthy.Add($"{name}: {ex.Message}");
            }
        }
        return unhealthy;
    }

    /// <summary>Records made by hand (not by <see cref="Load"/>), for the checker.</summary>
    private sealed class HandMade(IReadOnlyCollection<ClientRecord> records) : ILoadRecords
    {
        public IReadOnlyCollection<ClientRecord> Records => records;
    }
}
