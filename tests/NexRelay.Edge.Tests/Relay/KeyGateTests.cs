using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using NexRelay.Contracts.Keys;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Relay;
using NexRelay.Edge.Tests.Keys;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Tests.Relay;

/// <summary>Authentication under a flood of invalid keys: the per-client failed-auth limit and who it must not lock out.</summary>
public sealed class KeyGateTests : IDisposable
{
    private static readonly IPAddress Flooder = IPAddress.Parse("198.51.100.1");
    private readonly ManualTime _time = new();
    private readonly OfflineKeys _keys;

    public KeyGateTests() => _keys = new OfflineKeys(failedAuth: o => o.Limit = 5, time: _time);

    public void Dispose() => _keys.Dispose();

    [Fact]
    public async Task Unknown_keys_from_one_address_are_answered_429_once_over_the_limit_without_a_lookup()
    {
        var statuses = new List<int>();
        for (var i = 0; i < 50; i++) statuses.Add((await AuthenticateAsync(KeyHash.Generate(), Flooder)).Error!.Status);

        Assert.Equal(Enumerable.Repeat(401, 5).Concat(Enumerable.Repeat(429, 45)), statuses);
        Assert.Equal(5, _keys.KeyPolicy.Calls);

        // Malformed and repeated unknown keys are failures too; another address is not limited.
        Assert.Equal(429, (await AuthenticateAsync("nrk_short", Flooder)).Error!.Status);
        Assert.Equal(401, (await AuthenticateAsync(KeyHash.Generate(), IPAddress.Parse("198.51.100.2"))).Error!.Status);

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(401, (await AuthenticateAsync(KeyHash.Generate(), Flooder)).Error!.Status);
    }

    [Fact]
    public async Task A_client_over_its_limit_keeps_using_a_real_key_this_replica_knows()
    {
        var real = _keys.RealKey();
        Assert.Null((await AuthenticateAsync(real, Flooder)).Error);
        for (var i = 0; i < 10; i++) await AuthenticateAsync(KeyHash.Generate(), Flooder);
        Assert.Equal(429, (await AuthenticateAsync(KeyHash.Generate(), Flooder)).Error!.Status);

        // Fresh in memory: admitted with no lookup. Stale (a KeyChanged evicted it): still known as real, so looked up and admitted.
        var calls = _keys.KeyPolicy.Calls;
        Assert.Null((await AuthenticateAsync(real, Flooder)).Error);
        Assert.Equal(calls, _keys.KeyPolicy.Calls);
        _keys.Resolver.Evict(KeyResolverTests.Hash(real));
        Assert.Null((await AuthenticateAsync(real, Flooder)).Error);
        Assert.Equal(calls + 1, _keys.KeyPolicy.Calls);

        // A real key this replica has never seen is a guess like any other from this address until its window ends.
        Assert.Equal(429, (await AuthenticateAsync(_keys.RealKey(), Flooder)).Error!.Status);
    }

    [Fact]
    public async Task Real_keys_are_not_charged_even_when_refused_for_their_state()
    {
        for (var i = 0; i < 20; i++) Assert.Null((await AuthenticateAsync(_keys.RealKey(), Flooder)).Error);
        var revoked = _keys.RealKey(state: "revoked");
        for (var i = 0; i < 20; i++) Assert.Equal(401, (await AuthenticateAsync(revoked, Flooder)).Error!.Status);
        Assert.Equal(401, (await AuthenticateAsync(KeyHash.Generate(), Flooder)).Error!.Status);
    }

    [Fact]
    public async Task A_brand_new_keys_first_concurrent_burst_does_not_spend_its_clients_allowance()
    {
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _keys.KeyPolicy.Hold = hold;
        var fresh = _keys.RealKey();
        var burst = Enumerable.Range(0, 30).Select(_ => AuthenticateAsync(fresh, Flooder).AsTask()).ToArray();
        hold.SetResult();

        Assert.All(await Task.WhenAll(burst), a => Assert.Null(a.Error));
        Assert.Equal(1, _keys.KeyPolicy.Calls);
        for (var i = 0; i < 5; i++) Assert.Equal(401, (await AuthenticateAsync(KeyHash.Generate(), Flooder)).Error!.Status);
    }

    [Fact]
    public async Task A_burst_of_one_unknown_key_is_charged_in_full_once_its_lookup_says_so()
    {
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _keys.KeyPolicy.Hold = hold;
        var unknown = KeyHash.Generate();
        var burst = Enumerable.Range(0, 5).Select(_ => AuthenticateAsync(unknown, Flooder).AsTask()).ToArray();
        hold.SetResult();

        Assert.All(await Task.WhenAll(burst), a => Assert.Equal(401, a.Error!.Status));
        Assert.Equal(1, _keys.KeyPolicy.Calls);
        Assert.Equal(429, (await AuthenticateAsync(KeyHash.Generate(), Flooder)).Error!.Status);
    }

    [Fact]
    public async Task A_secret_rotated_away_stays_a_401_and_is_not_charged()
    {
        var old = _keys.RealKey();
        Assert.Null((await AuthenticateAsync(old, Flooder)).Error);
        // Rotation: key-policy no longer knows the old hash, and KeyChanged evicts it.
        _keys.KeyPolicy.Keys.TryRemove(KeyResolverTests.Hash(old), out _);
        _keys.Resolver.Evict(KeyResolverTests.Hash(old));

        for (var i = 0; i < 30; i++) Assert.Equal(401, (await AuthenticateAsync(old, Flooder)).Error!.Status);
        Assert.Equal(2, _keys.KeyPolicy.Calls);
        Assert.Equal(401, (await AuthenticateAsync(KeyHash.Generate(), Flooder)).Error!.Status); // the allowance is untouched
    }

    [Theory]
    [InlineData(ClientFormat.OpenAIChat, "$.error.type", "rate_limit_error")]
    [InlineData(ClientFormat.Anthropic, "$.error.type", "rate_limit_error")]
    [InlineData(ClientFormat.Gemini, "$.error.status", "RESOURCE_EXHAUSTED")]
    public async Task The_429_comes_in_the_callers_format_with_Retry_After(ClientFormat format, string path, string expected)
    {
        for (var i = 0; i < 5; i++) await AuthenticateAsync(KeyHash.Generate(), Flooder);
        _time.Advance(TimeSpan.FromSeconds(2.5));
        var error = (await AuthenticateAsync(KeyHash.Generate(), Flooder)).Error!;

        var http = new DefaultHttpContext();
        http.Response.Body = new MemoryStream();
        await ErrorWriters.WriteAsync(http, format, error);

        Assert.Equal(429, http.Response.StatusCode);
        Assert.Equal("8", http.Response.Headers.RetryAfter.ToString());
        http.Response.Body.Position = 0;
        var body = JsonNode.Parse(http.Response.Body)!;
        var field = path == "$.error.type" ? body["error"]!["type"] : body["error"]!["status"];
        Assert.Equal(expected, field!.GetValue<string>());
        Assert.Contains("invalid API keys", body["error"]!["message"]!.GetValue<string>());
    }

    private ValueTask<Admission> AuthenticateAsync(string key, IPAddress from)
    {
        var http = new DefaultHttpContext();
        http.Connection.RemoteIpAddress = from;
        http.Request.Headers.Authorization = "Bearer " + key;
        return _keys.Gate.AuthenticateAsync(http.Request, CancellationToken.None);
    }
}
