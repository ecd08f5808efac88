using System.ComponentModel.DataAnnotations;

namespace NexRelay.Edge.Relay;

/// <summary>Relay limits and the upstream resilience pipeline, under <c>NexRelay:Relay</c>.</summary>
public sealed class RelayOptions
{
    public const string SectionName = "NexRelay:Relay";

    /// <summary>Largest accepted request body (413 above it).</summary>
    [Range(1024, 512L * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>Time to the upstream's response headers, per attempt, for a streamed request (whose headers come first).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan FirstByteTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A non-streamed answer's headers come only once the whole answer is generated, so its wait is the first-byte timeout
    /// plus this much per output token allowed (at 50 ms, a 16k-token answer may take 14 minutes)...
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan NonStreamedWaitPerOutputToken { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>...and at most this long in all.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan NonStreamedMaxWait { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Longest silence between two reads of a response body (not a total timeout: long generations finish).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Attempts per upstream before failing over to the next one (only before any byte reached the client).</summary>
    [Range(1, 10)]
    public int AttemptsPerUpstream { get; set; } = 2;

    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Circuit breaker per upstream: failure ratio over the sampling window that opens it.</summary>
    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.5;

    [Range(2, 10_000)]
    public int BreakerMinimumThroughput { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Request/response bodies kept in logs (for keys with log_bodies) are cut at this many characters.</summary>
    [Range(0, 10 * 1024 * 1024)]
    public int LoggedBodyMaxChars { get; set; } = 32 * 1024;

    /// <summary>How long one attempt may wait for the upstream's response headers.</summary>
    public TimeSpan ResponseWait(bool stream, int maxOutputTokens)
    {
        if (stream) return FirstByteTimeout;
        var generation = NonStreamedWaitPerOutputToken * Math.Max(0, maxOutputTokens);
        var total = FirstByteTimeout + generation;
        return total < NonStreamedMaxWait ? total : NonStreamedMaxWait > FirstByteTimeout ? NonStreamedMaxWait : FirstByteTimeout;
    }

    /// <summary>A body as kept in the request log: cut at <see cref="LoggedBodyMaxChars"/>.</summary>
    public string TruncateLoggedBody(string text) => text.Length <= LoggedBodyMaxChars ? text : text[..LoggedBodyMaxChars];
}
