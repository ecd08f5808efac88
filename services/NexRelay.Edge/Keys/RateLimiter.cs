using System.Globalization;
using StackExchange.Redis;

namespace NexRelay.Edge.Keys;

internal enum RateLimitKind
{
    None,
    Requests,
    Tokens,
}

/// <summary>The outcome of a rate-limit check, with what the OpenAI-style headers report.</summary>
internal readonly record struct RateLimitDecision(
    bool Allowed,
    RateLimitKind LimitedBy,
    int? RequestLimit,
    int RequestsRemaining,
    int RequestsResetSeconds,
    int? TokenLimit,
    long TokensRemaining,
    int TokensResetSeconds)
{
    public static readonly RateLimitDecision Unlimited = new(true, RateLimitKind.None, null, 0, 0, null, 0, 0);

    /// <summary>Seconds until the exhausted window resets (at least 1): the value of <c>Retry-After</c>.</summary>
    public int RetryAfterSeconds => Math.Max(1, LimitedBy == RateLimitKind.Tokens ? TokensResetSeconds : RequestsResetSeconds);

    /// <summary>Writes <c>x-ratelimit-*-requests</c> (and <c>-tokens</c> when the key has a tpm), plus <c>Retry-After</c> when refused.</summary>
    public void WriteHeaders(IHeaderDictionary headers)
    {
        if (RequestLimit is { } rpm)
        {
            headers["x-ratelimit-limit-requests"] = rpm.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-requests"] = RequestsRemaining.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-requests"] = $"{RequestsResetSeconds.ToString(CultureInfo.InvariantCulture)}s";
        }
        if (TokenLimit is { } tpm)
        {
            headers["x-ratelimit-limit-tokens"] = tpm.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-tokens"] = TokensRemaining.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-tokens"] = $"{TokensResetSeconds.ToString(CultureInfo.InvariantCulture)}s";
        }
        if (!Allowed) headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// Per-key rpm and tpm shared by every edge replica: fixed 60 s windows in Redis, each starting with the first request
/// (or the first recorded tokens) after the previous one ended. Checks and counts happen in one Lua script, so replicas
/// cannot both take the last slot. tpm is checked before a request and charged with the actual tokens after it.
/// </summary>
internal sealed partial class RateLimiter(IConnectionMultiplexer redis, ILogger<RateLimiter> logger)
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    // KEYS[1] request counter, KEYS[2] token counter; ARGV rpm (0 = none), tpm (0 = none), window ms.
    // Returns {allowed, limited_by (0 none, 1 requests, 2 tokens), requests used, requests ttl ms, tokens used, tokens ttl ms}.
    private const string CheckScript = """
        local rpm = tonumber(ARGV[1])
        local tpm = tonumber(ARGV[2])
        local window = tonumber(ARGV[3])
        local tused = 0
        local tttl = 0
        if tpm > 0 then
          tused = tonumber(redis.call('GET', KEYS[2]) or '0')
          tttl = redis.call('PTTL', KEYS[2])
          if tused >= tpm then
            return {0, 2, tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1]), tused, tttl}
          end
        end
        local rused = 0
        local rttl = 0
        if rpm > 0 then
          rused = tonumber(redis.call('GET', KEYS[1]) or '0')
          rttl = redis.call('PTTL', KEYS[1])
          if rused >= rpm then
            return {0, 1, rused, rttl, tused, tttl}
          end
          rused = redis.call('INCR', KEYS[1])
          rttl = redis.call('PTTL', KEYS[1])
          if rttl < 0 then
            redis.call('PEXPIRE', KEYS[1], window)
            rttl = window
          end
        end
        return {1, 0, rused, rttl, tused, tttl}
        """;

    private const string RecordScript = """
        local used = redis.call('INCRBY', KEYS[1], ARGV[1])
        if redis.call('PTTL', KEYS[1]) < 0 then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return used
        """;

    /// <summary>Counts one request against the key's rpm and checks its tpm. A Redis failure lets the request through (logged).</summary>
    public async Task<RateLimitDecision> CheckAsync(Guid keyId, int? rpm, int? tpm, CancellationToken ct)
    {
        if (rpm is null && tpm is null) return RateLimitDecision.Unlimited;
        ct.ThrowIfCancellationRequested();
        RedisResult[] r;
        try
        {
            r = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(CheckScript,
                [RequestsKey(keyId), TokensKey(keyId)],
                [rpm ?? 0, tpm ?? 0, (long)Window.TotalMilliseconds]))!;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Availability over strictness: a Redis outage must not turn every request into a 429.
            LogRedisFailed(logger, keyId, ex.Message);
            return RateLimitDecision.Unlimited with { RequestLimit = rpm, RequestsRemaining = rpm ?? 0, TokenLimit = tpm, TokensRemaining = tpm ?? 0 };
        }

        var allowed = (long)r[0] == 1;
        var limitedBy = (long)r[1] switch { 1 => RateLimitKind.Requests, 2 => RateLimitKind.Tokens, _ => RateLimitKind.None };
        var requestsUsed = (long)r[2];
        var tokensUsed = (long)r[4];
        return new RateLimitDecision(
            allowed,
            limitedBy,
            rpm,
            rpm is { } rl ? (int)Math.Max(0, rl - requestsUsed) : 0,
            ResetSeconds((long)r[3]),
            tpm,
            tpm is { } tl ? Math.Max(0, tl - tokensUsed) : 0,
            ResetSeconds((long)r[5]));
    }

    /// <summary>Charges the tokens a finished request actually used to the key's tpm window (no-op when the key has no tpm).</summary>
    public async Task RecordTokensAsync(Guid keyId, int? tpm, long tokens, CancellationToken ct)
    {
        if (tpm is null || tokens <= 0) return;
        ct.ThrowIfCancellationRequested();
        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(RecordScript, [TokensKey(keyId)], [tokens, (long)Window.TotalMilliseconds]);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogRedisFailed(logger, keyId, ex.Message);
        }
    }

    // The {hash tag} keeps both counters of a key in one Redis Cluster slot, which a multi-key script needs.
    internal static RedisKey RequestsKey(Guid keyId) => $"nexrelay:rl:{{{keyId:N}}}:rpm";

    internal static RedisKey TokensKey(Guid keyId) => $"nexrelay:rl:{{{keyId:N}}}:tpm";

    // A missing window (-2) or one without expiry (-1) resets after a full window at most.
    private static int ResetSeconds(long ttlMs) => ttlMs <= 0 ? (ttlMs == -2 ? 0 : (int)Window.TotalSeconds) : (int)Math.Ceiling(ttlMs / 1000.0);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limit for key {KeyId} not enforced: Redis failed: {Error}")]
    private static partial void LogRedisFailed(ILogger logger, Guid keyId, string error);
}
