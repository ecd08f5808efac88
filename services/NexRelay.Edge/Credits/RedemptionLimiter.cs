using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using NexRelay.Edge.Keys;
using StackExchange.Redis;

namespace NexRelay.Edge.Credits;

/// <summary>
/// Failed redemptions per key and per client address (<see cref="RedemptionLimitOptions"/>), shared by every edge replica: fixed
/// windows in Redis, as the per-key rate limits (<see cref="RateLimiter"/>). Each attempt is charged before billing is asked,
/// in one script that checks both counters, so concurrent guesses cannot overshoot the limit; a redemption that succeeds (or
/// that billing could not answer) is refunded. A Redis outage lets attempts through (logged): codes carry ~100 random bits,
/// so the limit is a second line, and redeeming must not depend on Redis.
/// </summary>
internal sealed partial class RedemptionLimiter(IConnectionMultiplexer redis, IOptions<RedemptionLimitOptions> options, ILogger<RedemptionLimiter> logger)
{
    // KEYS[1] key counter, KEYS[2] address counter; ARGV per-key limit, per-address limit, window ms.
    // Returns {1, 0} when charged, or {0, ms until the exhausted window ends}.
    private const string ChargeScript = """
        local window = tonumber(ARGV[3])
        for i = 1, 2 do
          local used = tonumber(redis.call('GET', KEYS[i]) or '0')
          if used >= tonumber(ARGV[i]) then
            local ttl = redis.call('PTTL', KEYS[i])
            if ttl < 0 then ttl = window end
            return {0, ttl}
          end
        end
        for i = 1, 2 do
          redis.call('INCR', KEYS[i])
          if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], window) end
        end
        return {1, 0}
        """;

    private const string RefundScript = """
        for i = 1, 2 do
          if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
        end
        return 1
        """;

    /// <summary>Charges one attempt; null when allowed, otherwise how long until the exhausted window ends (nothing charged).</summary>
    public async Task<TimeSpan?> TryChargeAsync(Guid keyId, IPAddress? address, CancellationToken ct)
    {
        var o = options.Value;
        try
        {
            var r = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(ChargeScript, Keys(keyId, address),
                [o.FailuresPerKey, o.FailuresPerAddress, (long)o.Window.TotalMilliseconds]).WaitAsync(ct))!;
            return (long)r[0] == 1 ? null : TimeSpan.FromMilliseconds(Math.Max(1, (long)r[1]));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogRedisFailed(logger, keyId, ex.Message);
            return null;
        }
    }

    /// <summary>Gives back a charge: the code was good, or nobody could tell (an outage is not the caller's failure).</summary>
    public async Task RefundAsync(Guid keyId, IPAddress? address)
    {
        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(RefundScript, Keys(keyId, address));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogRedisFailed(logger, keyId, ex.Message);
        }
    }

    private static RedisKey[] Keys(Guid keyId, IPAddress? address) =>
    [
        $"nexrelay:redeem-failures:key:{keyId:N}",
        $"nexrelay:redeem-failures:client:{FailedAuthLimiter.ClientOf(address).ToString(CultureInfo.InvariantCulture)}",
    ];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redemption limit for key {KeyId} not applied: Redis failed ({Reason})")]
    private static partial void LogRedisFailed(ILogger logger, Guid keyId, string reason);
}
