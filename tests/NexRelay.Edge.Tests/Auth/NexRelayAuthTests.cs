using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Auth;
using NexRelay.ServiceDefaults.Internal;

namespace NexRelay.Edge.Tests.Auth;

/// <summary>
/// The one admin and internal authentication every service uses (ServiceDefaults' <see cref="NexRelayAuth"/>), on a bare
/// app: admin routes need the admin bearer token, the whole /internal prefix the internal token, each refused with a 401
/// ProblemDetails of the shared catalog; other routes never meet it (the edge's hot path), and no token is ever logged.
/// </summary>
public sealed class NexRelayAuthTests : IAsyncLifetime
{
    private const string AdminToken = "auth-tests-admin-token-0123456789";
    private const string InternalToken = "auth-tests-internal-token-0123456789";
    private readonly LogCollector _logs = new();
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    private sealed class TestAdminOptions
    {
        public string AdminToken { get; set; } = "";
    }

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders().AddProvider(_logs).SetMinimumLevel(LogLevel.Trace);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["NexRelay:AdminToken"] = AdminToken,
            ["NexRelay:InternalToken"] = InternalToken,
        });
        builder.Services.AddOptions<TestAdminOptions>().BindConfiguration("NexRelay");
        builder.Services.AddAdminAuthentication<TestAdminOptions>(o => o.AdminToken);
        builder.Services.AddInternalAuth();
        _app = builder.Build();
        _app.UseNexRelayAuth();
        _app.MapGroup("/admin/v1/things").RequireAuthorization(NexRelayAuth.AdminPolicy).MapGet("/", () => "admin");
        _app.MapGet("/internal/things", () => "internal");
        // What the edge's public routes see: neither authentication nor authorization ran for them.
        _app.MapGet("/v1/open", (HttpContext http) => http.Features.Get<IAuthenticationFeature>() is null && http.Items.Count == 0 ? "untouched" : "touched");
        await _app.StartAsync();
        _client = _app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-the-admin-token-at-all")]
    [InlineData("Bearer " + AdminToken + "x")]
    [InlineData("Basic " + AdminToken)]
    [InlineData("Bearer " + InternalToken)]
    public async Task Admin_routes_refuse_a_missing_or_wrong_token_with_a_401_admin_token_problem(string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/things");
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        request.Headers.TryAddWithoutValidation(InternalAuth.HeaderName, InternalToken); // not an admin credential

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        var problem = await ProblemAsync(response);
        Assert.Equal(ProblemTypes.AdminToken, problem.GetProperty("type").GetString());
        Assert.Equal("https://nexrelay.dev/problems/admin-token", problem.GetProperty("type").GetString());
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Admin_routes_answer_the_admin_token()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/things");
        request.Headers.Authorization = new AuthenticationHeaderValue("bearer", AdminToken);

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("admin", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/internal/things", null)]
    [InlineData("/internal/things", "wrong-internal-token-0123456789")]
    [InlineData("/internal/no-such-route", null)] // the whole prefix, mapped or not
    public async Task The_internal_prefix_refuses_a_missing_or_wrong_internal_token_with_a_401_internal_token_problem(string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken); // not an internal credential
        if (token is not null) request.Headers.TryAddWithoutValidation(InternalAuth.HeaderName, token);

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(ProblemTypes.InternalToken, (await ProblemAsync(response)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task The_internal_prefix_answers_the_internal_token()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/internal/things");
        request.Headers.TryAddWithoutValidation(InternalAuth.HeaderName, InternalToken);

        using var response = await _client.SendAsync(request);

        Assert.Equal("internal", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Other_routes_never_run_authentication_or_authorization()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/open");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-a-customer-key");

        Assert.Equal("untouched", await (await _client.SendAsync(request)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task No_token_presented_or_expected_is_ever_logged()
    {
        foreach (var (path, header, value) in new[]
                 {
                     ("/admin/v1/things", "Authorization", "Bearer presented-wrong-admin-token-123"),
                     ("/admin/v1/things", "Authorization", "Bearer " + AdminToken),
                     ("/internal/things", InternalAuth.HeaderName, "presented-wrong-internal-token-123"),
                     ("/internal/things", InternalAuth.HeaderName, InternalToken),
                 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation(header, value);
            using var _ = await _client.SendAsync(request);
        }

        var logged = _logs.Text();
        Assert.Contains("AdminToken", logged, StringComparison.Ordinal); // the handlers did log (at Debug/Information)
        foreach (var secret in new[] { AdminToken, InternalToken, "presented-wrong-admin-token-123", "presented-wrong-internal-token-123" })
            Assert.DoesNotContain(secret, logged, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>Every log message and exception text of the app, at every level.</summary>
    private sealed class LogCollector : ILoggerProvider
    {
        private readonly List<string> _lines = [];

        public string Text()
        {
            lock (_lines) return string.Join('\n', _lines);
        }

        public ILogger CreateLogger(string categoryName) => new Collecting(this);

        public void Dispose()
        {
        }

        private sealed class Collecting(LogCollector owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner._lines) owner._lines.Add(formatter(state, exception) + " " + exception);
            }
        }
    }
}
