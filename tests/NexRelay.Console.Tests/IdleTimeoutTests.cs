using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using NexRelay.Console.Sessions;
using NexRelay.Testing;
using StackExchange.Redis;

namespace NexRelay.Console.Tests;

/// <summary>
/// The console's sessions as <see cref="SessionExtensions.AddConsoleSessions"/> configures them, on a test server whose clock
/// the test moves: a session ends after the idle timeout without a person's request, each such request extends it, and the
/// requests page's live refresh (<c>X-Console-Live</c>) never does. The Data Protection key ring goes to the test Redis, as
/// the console's goes to its own.
/// </summary>
public sealed class IdleTimeoutTests : IAsyncLifetime
{
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(30);
    private readonly MovableClock _clock = new(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));
    private WebApplication _app = null!;
    private HttpClient _client = null!;
    private string? _cookie;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddOptions<ConsoleOptions>().Configure(o => o.IdleTimeout = Idle);
        builder.Services.AddConsoleSessions();
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(TestInfrastructure.Redis));
        builder.Services.PostConfigure<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme, o => o.TimeProvider = _clock);
        _app = builder.Build();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapPost("/signin", async (HttpContext http) =>
        {
            await http.SignInAsync(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "holder")], CookieAuthenticationDefaults.AuthenticationScheme)));
            return TypedResults.NoContent();
        });
        // An endpoint of this test app, so a missing session is a 401 (ASP.NET Core 10 does not redirect API endpoints); the
        // console's pages redirect to /signin instead, the same authentication result underneath.
        _app.MapGet("/page", () => TypedResults.Ok("signed in")).RequireAuthorization();
        await _app.StartAsync();
        _client = _app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task A_session_without_a_persons_request_ends_after_the_idle_timeout_live_refreshes_included()
    {
        await SignInAsync();
        _clock.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal((HttpStatusCode.OK, false), await GetAsync(live: true));
        _clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal((HttpStatusCode.OK, false), await GetAsync(live: true));
        _clock.Advance(TimeSpan.FromMinutes(2)); // 31 minutes after the last request a person made

        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(live: true)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(live: false)).Status);
    }

    [Fact]
    public async Task Each_request_a_person_makes_extends_the_session_by_the_idle_timeout()
    {
        await SignInAsync();
        _clock.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal((HttpStatusCode.OK, true), await GetAsync(live: false)); // renewed: a new cookie
        _clock.Advance(TimeSpan.FromMinutes(25)); // 45 minutes after signing in, 25 after the last request
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(live: false)).Status);
        _clock.Advance(Idle + TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(live: false)).Status);
    }

    [Fact]
    public async Task The_session_cookie_is_http_only_and_same_site_strict()
    {
        using var response = await _client.PostAsync("/signin", null);
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("nexrelay-console=", setCookie, StringComparison.Ordinal);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("holder", setCookie, StringComparison.Ordinal); // encrypted, not the claims in clear
        // Encrypted with the key ring every replica reads from Redis.
        Assert.True(await _app.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase()
            .KeyExistsAsync(NexRelay.Console.Sessions.SessionExtensions.KeyRingKey));
    }

    private async Task SignInAsync()
    {
        using var response = await _client.PostAsync("/signin", null);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        _cookie = CookieOf(response) ?? throw new InvalidOperationException("no session cookie");
    }

    /// <summary>GET /page with the session cookie; whether the answer renewed it (a new cookie, kept for the next request).</summary>
    private async Task<(HttpStatusCode Status, bool Renewed)> GetAsync(bool live)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/page");
        request.Headers.Add("Cookie", _cookie);
        if (live) request.Headers.Add(NexRelay.Console.Sessions.SessionExtensions.LiveRefreshHeader, "1");
        using var response = await _client.SendAsync(request);
        var renewed = CookieOf(response);
        if (renewed is not null) _cookie = renewed;
        return (response.StatusCode, renewed is not null);
    }

    private static string? CookieOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values)
            ? values.Select(v => v.Split(';')[0]).FirstOrDefault(v => v.StartsWith("nexrelay-console=", StringComparison.Ordinal))
            : null;

    private sealed class MovableClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
