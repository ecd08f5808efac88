using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using NexRelay.Edge.Keys;
using NexRelay.Testing;
using StackExchange.Redis;

namespace NexRelay.Edge.Tests.Keys;

/// <summary>Against the real Redis; every test uses fresh key ids, so runs and replicas do not share counters.</summary>
public sealed class RateLimiterTests : IAsyncLifetime
{
    private ConnectionMultiplexer _redisA = null!;
    private ConnectionMultiplexer _redisB = null!;
    private RateLimiter _limiterA = null!;
    private RateLimiter _limiterB = null!;

    public async Task InitializeAsync()
    {
        _redisA = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        _redisB = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        _limiterA = new RateLimiter(_redisA, NullLogger<RateLimiter>.Instance);
        _limiterB = new RateLimiter(_redisB, NullLogger<RateLimiter>.Instance);
    }

    public async Task DisposeAsync()
    {
        await _redisA.DisposeAsync();
        await _redisB.DisposeAsync();
    }

    [Fact]
    public async Task Rpm_allows_n_requests_then_refuses_with_remaining_and_reset()
    {
        var key = Guid.NewGuid();
        for (var i = 1; i <= 3; i++)
        {
            var allowed = await _limiterA.CheckAsync(key, rpm: 3, tpm: null, CancellationToken.None);
            Assert.True(allowed.Allowed);
            Assert.Equal(RateLimitKind.None, allowed.LimitedBy);
            Assert.Equal(3, allowed.RequestLimit);
            Assert.Equal(3 - i, allowed.RequestsRemaining);
            Assert.InRange(allowed.RequestsResetSeconds, 55, 60);
        }

        var refused = await _limiterA.CheckAsync(key, rpm: 3, tpm: null, CancellationToken.None);
        Assert.False(refused.Allowed);
        Assert.Equal(RateLimitKind.Requests, refused.LimitedBy);
        Assert.Equal(0, refused.RequestsRemaining);
        Assert.InRange(refused.RequestsResetSeconds, 1, 60);
        Assert.Equal(refused.RequestsResetSeconds, refused.RetryAfterSeconds);

        var headers = new HeaderDictionary();
        refused.WriteHeaders(headers);
        Assert.Equal("3", headers["x-ratelimit-limit-requests"]);
        Assert.Equal("0", headers["x-ratelimit-remaining-requests"]);
        Assert.Equal($"{refused.RequestsResetSeconds}s", headers["x-ratelimit-reset-requests"]);
        Assert.Equal(refused.RetryAfterSeconds.ToString(), headers["Retry-After"]);
        Assert.False(headers.ContainsKey("x-ratelimit-limit-tokens"));
    }

    [Fact]
    public async Task Allowed_requests_carry_headers_but_no_retry_after()
    {
        var decision = await _limiterA.CheckAsync(Guid.NewGuid(), rpm: 10, tpm: null, CancellationToken.None);
        var headers = new HeaderDictionary();
        decision.WriteHeaders(headers);
        Assert.Equal("10", headers["x-ratelimit-limit-requests"]);
        Assert.Equal("9", headers["x-ratelimit-remaining-requests"]);
        Assert.False(headers.ContainsKey("Retry-After"));
    }

    [Fact]
    public async Task Two_limiters_on_separate_connections_share_one_budget()
    {
        var key = Guid.NewGuid();
        var results = new List<RateLimitDecision>();
        for (var i = 0; i < 6; i++)
        {
            var limiter = i % 2 == 0 ? _limiterA : _limiterB;
            results.Add(await limiter.CheckAsync(key, rpm: 4, tpm: null, CancellationToken.None));
        }
        Assert.Equal([true, true, true, true, false, false], results.Select(r => r.Allowed));
        Assert.Equal([3, 2, 1, 0, 0, 0], results.Select(r => r.RequestsRemaining));
    }

    [Fact]
    public async Task Concurrent_requests_never_exceed_the_limit()
    {
        var key = Guid.NewGuid();
        var checks = Enumerable.Range(0, 60).Select(i => (i % 2 == 0 ? _limiterA : _limiterB).CheckAsync(key, 10, null, CancellationToken.None));
        var results = await Task.WhenAll(checks);
        Assert.Equal(10, results.Count(r => r.Allowed));
        Assert.Equal(Enumerable.Range(0, 10).Reverse(), results.Where(r => r.Allowed).Select(r => r.RequestsRemaining).OrderDescending());
    }

    [Fact]
    public async Task Keys_have_separate_budgets()
    {
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        Assert.True((await _limiterA.CheckAsync(a, 1, null, CancellationToken.None)).Allowed);
        Assert.False((await _limiterA.CheckAsync(a, 1, null, CancellationToken.None)).Allowed);
        Assert.True((await _limiterA.CheckAsync(b, 1, null, CancellationToken.None)).Allowed);
    }

    [Fact]
    public async Task A_new_window_starts_when_the_old_one_expires()
    {
        var key = Guid.NewGuid();
        Assert.True((await _limiterA.CheckAsync(key, 1, null, CancellationToken.None)).Allowed);
        Assert.False((await _limiterA.CheckAsync(key, 1, null, CancellationToken.None)).Allowed);

        // Fast-forward: end the current window now instead of waiting a minute.
        await _redisA.GetDatabase().KeyExpireAsync(RateLimiter.RequestsKey(key), TimeSpan.FromMilliseconds(50));
        await Task.Delay(200);

        var fresh = await _limiterA.CheckAsync(key, 1, null, CancellationToken.None);
        Assert.True(fresh.Allowed);
        Assert.Equal(0, fresh.RequestsRemaining);
        Assert.InRange(fresh.RequestsResetSeconds, 55, 60);
    }

    [Fact]
    public async Task Tpm_is_checked_before_and_charged_after_with_actual_tokens()
    {
        var key = Guid.NewGuid();
        var first = await _limiterA.CheckAsync(key, rpm: 100, tpm: 1000, CancellationToken.None);
        Assert.True(first.Allowed);
        Assert.Equal(1000, first.TokensRemaining);

        await _limiterA.RecordTokensAsync(key, 1000, 600, CancellationToken.None);
        var second = await _limiterB.CheckAsync(key, rpm: 100, tpm: 1000, CancellationToken.None);
        Assert.True(second.Allowed);
        Assert.Equal(400, second.TokensRemaining);
        Assert.InRange(second.TokensResetSeconds, 55, 60);

        await _limiterB.RecordTokensAsync(key, 1000, 450, CancellationToken.None);
        var refused = await _limiterA.CheckAsync(key, rpm: 100, tpm: 1000, CancellationToken.None);
        Assert.False(refused.Allowed);
        Assert.Equal(RateLimitKind.Tokens, refused.LimitedBy);
        Assert.Equal(0, refused.TokensRemaining);
        Assert.Equal(refused.TokensResetSeconds, refused.RetryAfterSeconds);
        // A request refused for tokens does not use up a request slot.
        Assert.Equal(98, refused.RequestsRemaining);

        var headers = new HeaderDictionary();
        refused.WriteHeaders(headers);
        Assert.Equal("1000", headers["x-ratelimit-limit-tokens"]);
        Assert.Equal("0", headers["x-ratelimit-remaining-tokens"]);
        Assert.Equal("100", headers["x-ratelimit-limit-requests"]);
        Assert.Equal(refused.TokensResetSeconds.ToString(), headers["Retry-After"]);
    }

    [Fact]
    public async Task Recording_tokens_without_a_tpm_or_with_none_used_does_nothing()
    {
        var key = Guid.NewGuid();
        await _limiterA.RecordTokensAsync(key, null, 500, CancellationToken.None);
        await _limiterA.RecordTokensAsync(key, 1000, 0, CancellationToken.None);
        Assert.False(await _redisA.GetDatabase().KeyExistsAsync(RateLimiter.TokensKey(key)));
    }

    [Fact]
    public async Task A_key_without_limits_is_never_refused_and_leaves_no_counters()
    {
        var key = Guid.NewGuid();
        for (var i = 0; i < 5; i++)
        {
            var decision = await _limiterA.CheckAsync(key, null, null, CancellationToken.None);
            Assert.True(decision.Allowed);
            var headers = new HeaderDictionary();
            decision.WriteHeaders(headers);
            Assert.Empty(headers);
        }
        Assert.False(await _redisA.GetDatabase().KeyExistsAsync(RateLimiter.RequestsKey(key)));
    }
}
