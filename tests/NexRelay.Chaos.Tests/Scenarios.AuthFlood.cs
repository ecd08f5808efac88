using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;
using NexRelay.Testing;

namespace NexRelay.Chaos.Tests;

/// <summary>Issue 17, scenario 15: an unauthenticated flood of well-formed keys beside a paced legitimate load.</summary>
public sealed partial class Scenarios
{
    /// <summary>How long each flood segment runs beside the legitimate load (four segments of each kind).</summary>
    private static readonly TimeSpan FloodLength = TimeSpan.FromSeconds(8);

    /// <summary>
    /// The measured segments, random keys or not, in ABBA order twice: whatever drifts over the run (the machine's other work,
    /// caches, the database) weighs on both kinds alike.
    /// </summary>
    private static readonly bool[] SegmentOrder = [false, true, true, false, false, true, true, false];

    /// <summary>The flooder's connections (over both edges): enough that its rate is set by the edges' answers, not its own waiting.</summary>
    private const int FloodConnections = 16;

    [Fact]
    public async Task S15_A_random_key_flood_is_refused_cheaply_and_costs_the_legitimate_load_no_more_than_one_repeated_key()
    {
        // Funded wallets only: the legitimate load is there to be timed, and every one of its requests should complete.
        Tenant[] tenants = [.. (await TenantsAsync()).Where(t => t.CreditUsd >= 1)];
        var legitimate = new LoadShape { StreamShare = 0, Concurrency = 8, RequestsPerSecond = 50 };
        using var flood = new KeyFlood(cluster.EdgeUrls, FloodConnections);
        await using var sampler = new BalanceSampler(_truth).Start();

        // Both edges warm (JIT, key caches, credit leases), so no segment pays for starting.
        var warm = new Load(cluster, tenants, legitimate with { RequestsPerSecond = null });
        await warm.RunAsync(CancellationToken.None, requests: 200);

        // As fast as one client can send here: one repeated unknown key, each request sent when the last was answered.
        var repeatedKey = KeyFlood.RandomKey();
        var fastest = await flood.RunAsync(_ => repeatedKey, TimeSpan.FromSeconds(3), rate: null, FloodConnections);
        var rate = fastest.Rate;

        // The yardstick: one repeated unknown key at that rate (after its first lookup, nothing but memory), since the flooder
        // shares the cores; against it, random distinct keys at the same rate, each one a lookup if nothing stopped it. First an
        // unmeasured segment: the first flood beside the load pays for things no later one does (in one run its p99 was 1 s).
        // Then the measured segments (SegmentOrder), back to back: each random one starts with the flooder's failed-auth window
        // wherever the last left it, which the lookup bound below allows for (every window a segment touches).
        var settling = await FloodBesideLoadAsync(flood, random: false, _ => repeatedKey, rate, tenants, legitimate);
        var segments = new List<FloodSegment>();
        foreach (var randomKeys in SegmentOrder)
        {
            segments.Add(await FloodBesideLoadAsync(flood, randomKeys, randomKeys ? _ => KeyFlood.RandomKey() : _ => repeatedKey, rate, tenants,
                legitimate, waitForWindow: false));
        }
        await Task.Delay(TimeSpan.FromSeconds(3)); // PostgreSQL publishes a backend's statistics within a second or so of its last query
        var ends = segments.Skip(1).Select(s => s.QueriesAtStart).Append(await KeyQueriesAsync()).ToArray();
        var keyQueries = segments.Select((s, i) => (s.Random, Count: ends[i] - s.QueriesAtStart)).ToArray();
        var repeated = segments.Where(s => !s.Random).ToArray();
        var random = segments.Where(s => s.Random).ToArray();
        var (repeatedP99, randomP99) = (MedianP99(repeated), MedianP99(random));
        var summary = $"flood {rate:0}/s from one client; legitimate 50/s p99 (median of 4 segments) beside one repeated key {Ms(repeatedP99)}, " +
            $"beside random keys {Ms(randomP99)}; key-policy key queries per {FloodLength.TotalSeconds:0} s: repeated {Counts(keyQueries, random: false)}, random {Counts(keyQueries, random: true)}; " +
            $"random flood answers {Answers(random)}";
        Console.WriteLine($"S15: {summary}; repeated flood answers {Answers(repeated)}; fastest {fastest}; achieved rates " +
            string.Join(", ", segments.Select(s => $"{(s.Random ? "random" : "repeated")} {s.Flood.Rate:0}/s p99 {Ms(P99([s]))}")));

        // Every flood request is refused as a bad key: 401, or 429 once its client is over the limit. Never a 5xx or no answer.
        foreach (var result in segments.Select(s => s.Flood).Prepend(fastest))
            Assert.True(result.Statuses.Keys.All(s => s is 401 or 429), $"flood answers: {result}");

        // Key-policy's load is bounded whatever the flood: per edge, the failed-auth limit for each window a segment touched.
        var windows = (int)Math.Ceiling(FloodLength / ChaosCluster.FailedAuthWindow) + 1;
        var bound = cluster.Edges.Length * ChaosCluster.FailedAuthLimit * windows;
        Assert.All(keyQueries.Where(q => q.Random), q => Assert.True(q.Count <= bound,
            $"{q.Count} key queries at key-policy in {FloodLength.TotalSeconds:0} s of random flood (bound {bound})"));

        // The legitimate load pays little more for random keys than for one repeated key at the same rate, compared as the
        // median of each kind's four segment p99s. On two cores shared with the flooder, one segment's p99 (the 4th worst of
        // ~400 requests) is set by whichever GC pause or scheduler stall falls in it: identical segments differed 2.3× in one
        // run, and holding the better random segment to the worse repeated one failed a CI run (141 ms against 125 allowed).
        // A stall lands in one segment and the median of four sets it aside; a cost of random keys is in every random segment
        // and moves the median. Random keys do cost something by design: each window lets the flooder have 20 real lookups per
        // edge (40 per segment here, against 2 for one repeated key), and across key-policy, Redis and PostgreSQL those took
        // ~1.2 s of CPU per 8 s segment in this cluster (key-policy's process alone; its CPU per lookup is far lower standalone,
        // see the note on issue 20). On a machine the flood already saturates, that put the median ~1.6× the repeated key's in
        // quiet runs. So 2× + 20 ms: an edge that looked up every random key (hundreds per second, the old edge made 3,344
        // key-policy queries per 10 s) is caught for certain by the lookup bound above; this bounds what the legitimate user feels.
        var allowed = repeatedP99 * 2 + TimeSpan.FromMilliseconds(20);
        Assert.True(randomP99 <= allowed,
            $"legitimate p99 beside random keys {Ms(randomP99)} (median of segments), allowed {Ms(allowed)} ({Ms(repeatedP99)} beside one key)");
        Assert.All(segments.SelectMany(s => s.Load.Records), r => Assert.True(r.Complete, $"{r.Status} {r.Error}"));

        await AssertRefusalFormatsAsync(flood);
        await ReportAsync("15. Unauthenticated flood of random keys beside paced load", summary,
            new Combined([warm, settling.Load, .. segments.Select(s => s.Load)]), tenants, sampler);
    }

    /// <summary>
    /// Waits out the flooder's failed-auth window unless told not to (the segment then starts with its full allowance), notes
    /// key-policy's query count, then floods at <paramref name="rate"/> for <see cref="FloodLength"/> while the paced legitimate load runs.
    /// </summary>
    private async Task<FloodSegment> FloodBesideLoadAsync(KeyFlood flood, bool random, Func<long, string> keyFor, double rate, Tenant[] tenants,
        LoadShape legitimate, bool waitForWindow = true)
    {
        if (waitForWindow) await Task.Delay(ChaosCluster.FailedAuthWindow + TimeSpan.FromSeconds(1));
        var queriesBefore = await KeyQueriesAsync();
        var load = new Load(cluster, tenants, legitimate);
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(stop.Token);
        var result = await flood.RunAsync(keyFor, FloodLength, rate, FloodConnections);
        await stop.CancelAsync();
        await running;
        return new FloodSegment(random, result, load, queriesBefore);
    }

    /// <summary>The limiter's 429 reaches each client family in its own envelope, with Retry-After.</summary>
    private static async Task AssertRefusalFormatsAsync(KeyFlood flood)
    {
        // Over the limit with at least a second of the window left, so all three probes land in it.
        await Timing.UntilAsync(async () => await flood.ProbeAsync("openai") is { Status: 429, RetryAfter: { } s } && double.Parse(s, CultureInfo.InvariantCulture) >= 2,
            TimeSpan.FromSeconds(30), "a 429 from the failed-auth limit");
        foreach (var (format, path, expected) in new[]
        {
            ("openai", "error.type", "rate_limit_error"),
            ("anthropic", "error.type", "rate_limit_error"),
            ("gemini", "error.status", "RESOURCE_EXHAUSTED"),
        })
        {
            var (status, retryAfter, body) = await flood.ProbeAsync(format);
            Assert.True(status == 429 && retryAfter is not null, $"{format}: {status}, Retry-After {retryAfter}: {body}");
            var json = JsonNode.Parse(body)!;
            Assert.Equal(expected, json["error"]![path.Split('.')[1]]!.GetValue<string>());
            if (format == "anthropic") Assert.Equal("error", json["type"]!.GetValue<string>());
            if (format == "openai") Assert.Equal("too_many_failed_authentications", json["error"]!["code"]!.GetValue<string>());
        }
    }

    /// <summary>Queries key-policy ran on its keys table (sequential plus index scans): each key lookup is one.</summary>
    private async Task<long> KeyQueriesAsync()
    {
        await using var db = new NpgsqlConnection(TestInfrastructure.PostgresDatabase(cluster.KeyPolicyDb) + ";Pooling=false");
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'keys'", db);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The median of the segments' p99s (the mean of the middle two for an even count).</summary>
    private static TimeSpan MedianP99(IEnumerable<FloodSegment> segments)
    {
        var p99s = segments.Select(s => P99([s])).Order().ToArray();
        return p99s.Length % 2 == 1 ? p99s[p99s.Length / 2] : (p99s[p99s.Length / 2 - 1] + p99s[p99s.Length / 2]) / 2;
    }

    private static TimeSpan P99(IEnumerable<FloodSegment> segments)
    {
        var sorted = segments.SelectMany(s => s.Load.Records).Select(r => r.Latency).Order().ToArray();
        return sorted[(int)Math.Ceiling(sorted.Length * 0.99) - 1];
    }

    private static string Answers(IEnumerable<FloodSegment> segments) =>
        string.Join(", ", segments.SelectMany(s => s.Flood.Statuses).GroupBy(s => s.Key).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Sum(s => s.Value)}"));

    private static string Counts((bool Random, long Count)[] queries, bool random) =>
        string.Join(", ", queries.Where(q => q.Random == random).Select(q => q.Count));

    private static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:0.0} ms";

    /// <param name="QueriesAtStart">Key-policy's count of queries on its keys table when the segment began.</param>
    private sealed record FloodSegment(bool Random, FloodResult Flood, Load Load, long QueriesAtStart);
}
