using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace NexRelay.Chaos.Tests;

/// <summary>What a flood got back: answers by status (0: no answer), and the rate it achieved.</summary>
public sealed record FloodResult(IReadOnlyDictionary<int, int> Statuses, int Sent, TimeSpan Duration)
{
    public double Rate => Sent / Duration.TotalSeconds;

    public override string ToString() => string.Join(", ", Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"));
}

/// <summary>
/// One unauthenticated client sending chat requests with keys that do not exist, to both edges in turn, from its own loopback
/// address: the edges must see it as a client apart from the legitimate load (which comes from 127.0.0.1), as they would see
/// an attacker on the internet apart from a customer.
/// </summary>
public sealed class KeyFlood : IDisposable
{
    public static readonly IPAddress Address = LoopbackClient.Flooder;

    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"model":"gpt-5.4","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}""");
    private readonly HttpClient[] _edges;

    public KeyFlood(IEnumerable<Uri> edges, int connections)
    {
        _edges = [.. edges.Select(edge => new HttpClient(LoopbackClient.Handler(Address, connections)) { BaseAddress = edge, Timeout = TimeSpan.FromSeconds(30) })];
    }

    /// <summary>
    /// Sends for <paramref name="duration"/> from <paramref name="workers"/> concurrent connections, the n-th request with
    /// <paramref name="keyFor"/>(n); paced at <paramref name="rate"/> per second, or as fast as the answers come when null.
    /// </summary>
    public async Task<FloodResult> RunAsync(Func<long, string> keyFor, TimeSpan duration, double? rate, int workers)
    {
        var statuses = new ConcurrentDictionary<int, int>();
        var pacer = rate is { } r ? new Pacer(r) : null;
        using var stop = new CancellationTokenSource(duration);
        long sent = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (pacer is not null && !await pacer.WaitAsync(stop.Token)) break;
                var n = Interlocked.Increment(ref sent);
                var status = await SendAsync(_edges[n % _edges.Length], keyFor(n));
                statuses.AddOrUpdate(status, 1, (_, count) => count + 1);
            }
        }));
        return new FloodResult(statuses, (int)Interlocked.Read(ref sent), clock.Elapsed);
    }

    /// <summary>One request in <paramref name="format"/> with an unknown key: the status, Retry-After and body.</summary>
    public async Task<(int Status, string? RetryAfter, string Body)> ProbeAsync(string format)
    {
        var key = RandomKey();
        var (path, body) = Load.Request(format, format == "anthropic" ? "claude-sonnet-4-6" : format == "gemini" ? "gemini-2.5-flash" : "gpt-5.4", 5, false, "hi");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        // Each family's own header: Bearer (OpenAI), x-api-key (Anthropic), x-goog-api-key (Gemini).
        if (format == "anthropic") request.Headers.Add("x-api-key", key);
        else if (format == "gemini") request.Headers.Add("x-goog-api-key", key);
        else request.Headers.Add("Authorization", "Bearer " + key);
        using var response = await _edges[0].SendAsync(request);
        return ((int)response.StatusCode, response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            await response.Content.ReadAsStringAsync());
    }

    /// <summary>A well-formed key nobody has: <c>nrk_</c> and 43 base62 characters, as key-policy issues them (Contracts' KeyHash).</summary>
    public static string RandomKey() =>
        "nrk_" + RandomNumberGenerator.GetString("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 43);

    public void Dispose()
    {
        foreach (var edge in _edges) edge.Dispose();
    }

    private static async Task<int> SendAsync(HttpClient edge, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/chat/completions") { Content = new ByteArrayContent(Body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("Authorization", "Bearer " + key);
        try
        {
            using var response = await edge.SendAsync(request);
            await response.Content.LoadIntoBufferAsync();
            return (int)response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
        {
            return 0;
        }
    }
}
