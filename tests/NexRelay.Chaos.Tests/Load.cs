using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace NexRelay.Chaos.Tests;

/// <summary>What one client saw of one request, and how long it took from sending to the last byte (or giving up).</summary>
public sealed record ClientRecord(string? RequestId, Tenant Tenant, string Model, bool Stream, int Status, bool Complete, bool Abandoned, string? Error,
    TimeSpan Latency = default);

/// <summary>How the load behaves: which models, how often it streams, how often a client leaves early.</summary>
public sealed record LoadShape
{
    public string[] Models { get; init; } = ["gpt-5.4", "claude-sonnet-4-6", "gemini-2.5-flash"];
    public double StreamShare { get; init; } = 0.5;
    public double AbandonShare { get; init; }
    public int MaxTokens { get; init; } = 12;
    public int Concurrency { get; init; } = 12;
    public string PromptExtra { get; init; } = "";

    /// <summary>When set, requests start at this rate (the workers take the next slot in turn) instead of back to back, so a
    /// latency measured under some disturbance is not also a measure of how much less load was offered.</summary>
    public double? RequestsPerSecond { get; init; }
}

/// <summary>
/// Concurrent clients on both edges, all three wire formats, streamed and not, several tenants; every request and what its
/// client saw is recorded, so the checker can ask of each completed one whether it was charged and logged exactly once.
/// </summary>
public sealed class Load(ChaosCluster cluster, IReadOnlyList<Tenant> tenants, LoadShape shape) : ILoadRecords
{
    private readonly ConcurrentBag<ClientRecord> _records = [];

    public IReadOnlyCollection<ClientRecord> Records => _records;

    /// <summary>Runs until <paramref name="stop"/> is cancelled (or <paramref name="requests"/> were sent, when given).</summary>
    public async Task RunAsync(CancellationToken stop, int? requests = null)
    {
        var sent = 0;
        var pacer = shape.RequestsPerSecond is { } rate ? new Pacer(rate) : null;
        var workers = Enumerable.Range(0, shape.Concurrency).Select(async worker =>
        {
            var random = new Random(worker * 7919 + Environment.TickCount);
            while (!stop.IsCancellationRequested && (requests is null || Interlocked.Increment(ref sent) <= requests))
            {
                if (pacer is not null && !await pacer.WaitAsync(stop)) break;
                var tenant = tenants[random.Next(tenants.Count)];
                var edge = cluster.Edges[random.Next(cluster.Edges.Length)];
                var model = shape.Models[random.Next(shape.Models.Length)];
                var stream = random.NextDouble() < shape.StreamShare;
                var abandonAfter = random.NextDouble() < shape.AbandonShare ? TimeSpan.FromMilliseconds(random.Next(1, 400)) : (TimeSpan?)null;
                _records.Add(await SendAsync(edge, tenant, model, stream, abandonAfter));
            }
        });
        await Task.WhenAll(workers);
    }

    /// <summary>One request, kept in <see cref="Records"/> for the checker.</summary>
    public async Task<ClientRecord> SendRecordedAsync(HttpClient edge, Tenant tenant, string model, bool stream = false)
    {
        var record = await SendAsync(edge, tenant, model, stream, abandonAfter: null);
        _records.Add(record);
        return record;
    }

    /// <summary>One request, not kept (a probe).</summary>
    public async Task<ClientRecord> SendAsync(HttpClient edge, Tenant tenant, string model, bool stream, TimeSpan? abandonAfter)
    {
        var format = model.StartsWith("claude", StringComparison.Ordinal) ? "anthropic" : model.StartsWith("gemini", StringComparison.Ordinal) ? "gemini" : "openai";
        var (path, body) = Request(format, model, shape.MaxTokens, stream, "Tell me about ledgers. " + shape.PromptExtra);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Authorization", "Bearer " + tenant.Key);
        using var leave = abandonAfter is { } after ? new CancellationTokenSource(after) : new CancellationTokenSource();
        string? requestId = null;
        var status = 0;
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await edge.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, leave.Token);
            status = (int)response.StatusCode;
            requestId = response.Headers.TryGetValues("x-request-id", out var ids) ? ids.First() : null;
            var text = await response.Content.ReadAsStringAsync(leave.Token);
            var complete = status == 200 && (!stream || Finished(format, text));
            return new ClientRecord(requestId, tenant, model, stream, status, complete, false, complete ? null : Truncate(text), Stopwatch.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (leave.IsCancellationRequested)
        {
            return new ClientRecord(requestId, tenant, model, stream, status, false, true, "left", Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
        {
            return new ClientRecord(requestId, tenant, model, stream, status, false, false, ex.GetType().Name + ": " + ex.Message, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>The stream ended with its format's closing event and no in-stream error.</summary>
    private static bool Finished(string format, string text) => format switch
    {
        "openai" => text.Contains("data: [DONE]", StringComparison.Ordinal) && !text.Contains("\"error\"", StringComparison.Ordinal),
        "anthropic" => text.Contains("message_stop", StringComparison.Ordinal) && !text.Contains("event: error", StringComparison.Ordinal),
        _ => text.Contains("\"finishReason\"", StringComparison.Ordinal) && !text.Contains("\"error\"", StringComparison.Ordinal),
    };

    private static string Truncate(string text) => text.Length > 2000 ? text[..2000] : text;

    public static (string Path, string Body) Request(string format, string model, int maxTokens, bool stream, string prompt)
    {
        var text = JsonValue.Create(prompt).ToJsonString();
        return format switch
        {
            "openai" => ("/api/v1/chat/completions", $$"""{"model":"{{model}}","max_tokens":{{maxTokens}},"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":{{text}}}]}"""),
            "anthropic" => ("/v1/messages", $$"""{"model":"{{model}}","max_tokens":{{maxTokens}},"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":{{text}}}]}"""),
            _ => (stream ? $"/v1beta/models/{model}:streamGenerateContent?alt=sse" : $"/v1beta/models/{model}:generateContent",
                $$$"""{"contents":[{"role":"user","parts":[{"text":{{{text}}}}]}],"generationConfig":{"maxOutputTokens":{{{maxTokens}}}}}"""),
        };
    }
}

/// <summary>Samples the lowest available balance of any wallet while a scenario runs (the truth: billing's database).</summary>
public sealed class BalanceSampler(Truth truth) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public long LowestAvailable { get; private set; } = long.MaxValue;
    public int Samples { get; private set; }

    public BalanceSampler Start()
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var lowest = await truth.LowestAvailableAsync();
                    LowestAvailable = Math.Min(LowestAvailable, lowest);
                    Samples++;
                }
                catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    // PostgreSQL itself may be the fault being injected.
                }
                await Task.Delay(200, CancellationToken.None);
            }
        });
        return this;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        _stop.Dispose();
    }
}

/// <summary>Open-loop pacing shared by the workers of one run: slot n starts n ÷ rate after the first.</summary>
internal sealed class Pacer(double rate)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _next;

    /// <summary>Waits for the next slot; false when <paramref name="stop"/> came first.</summary>
    public async Task<bool> WaitAsync(CancellationToken stop)
    {
        var slot = Interlocked.Increment(ref _next) - 1;
        var wait = TimeSpan.FromSeconds(slot / rate) - _clock.Elapsed;
        if (wait <= TimeSpan.Zero) return !stop.IsCancellationRequested;
        try
        {
            await Task.Delay(wait, stop);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

internal static class Timing
{
    public static async Task<TimeSpan> UntilAsync(Func<Task<bool>> condition, TimeSpan limit, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < limit, $"{what} not within {limit}");
            await Task.Delay(250);
        }
        return clock.Elapsed;
    }
}
