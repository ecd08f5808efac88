using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Auth;
using NexRelay.ServiceDefaults.Internal;

namespace NexRelay.Edge.Tests.Auth;

/// <summary>
/// Rotating the admin and internal tokens without errors (deploy/kubernetes/README.md, "Rotating a token"): during the
/// window a service accepts the current value and the previous one (<c>NexRelay:AdminTokenPrevious</c>,
/// <c>NexRelay:InternalTokenPrevious</c>), refuses any other, and always sends the current one.
/// </summary>
public sealed class TokenRotationTests : IAsyncLifetime
{
    private const string AdminToken = "rotation-admin-token-new-0123456789";
    private const string AdminPrevious = "rotation-admin-token-old-0123456789";
    private const string InternalToken = "rotation-internal-new-0123456789";
    private const string InternalPrevious = "rotation-internal-old-0123456789";
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    private sealed class TestAdminOptions
    {
        public string AdminToken { get; set; } = "";
    }

    public async Task InitializeAsync()
    {
        _app = Build(new()
        {
            ["NexRelay:AdminToken"] = AdminToken,
            ["NexRelay:AdminTokenPrevious"] = AdminPrevious,
            ["NexRelay:InternalToken"] = InternalToken,
            ["NexRelay:InternalTokenPrevious"] = InternalPrevious,
        });
        await _app.StartAsync();
        _client = _app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Theory]
    [InlineData(AdminToken, HttpStatusCode.OK)]
    [InlineData(AdminPrevious, HttpStatusCode.OK)]
    [InlineData("rotation-admin-token-xxx-0123456789", HttpStatusCode.Unauthorized)]
    [InlineData(InternalToken, HttpStatusCode.Unauthorized)]
    public async Task Admin_routes_accept_the_current_and_the_previous_admin_token_only(string token, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/things");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var response = await _client.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
    }

    [Theory]
    [InlineData(InternalToken, HttpStatusCode.OK)]
    [InlineData(InternalPrevious, HttpStatusCode.OK)]
    [InlineData("rotation-internal-xxx-0123456789", HttpStatusCode.Unauthorized)]
    [InlineData(AdminPrevious, HttpStatusCode.Unauthorized)]
    public async Task Internal_routes_accept_the_current_and_the_previous_internal_token_only(string token, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/internal/things");
        request.Headers.TryAddWithoutValidation(InternalAuth.HeaderName, token);
        using var response = await _client.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Internal_calls_send_the_current_token_during_a_rotation()
    {
        string? sent = null;
        var handler = new InternalTokenHandler(_app.Services.GetRequiredService<IOptions<InternalAuthOptions>>())
        {
            InnerHandler = new Responder(request => sent = request.Headers.GetValues(InternalAuth.HeaderName).Single()),
        };
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://billing/internal/things");
        request.Headers.TryAddWithoutValidation(InternalAuth.HeaderName, InternalPrevious);
        using var _ = await client.SendAsync(request);
        Assert.Equal(InternalToken, sent);
    }

    [Fact]
    public void A_previous_token_shorter_than_the_minimum_stops_the_start_naming_the_setting()
    {
        using var app = Build(new()
        {
            ["NexRelay:AdminToken"] = AdminToken,
            ["NexRelay:AdminTokenPrevious"] = "short",
            ["NexRelay:InternalToken"] = InternalToken,
            ["NexRelay:InternalTokenPrevious"] = "short",
        });
        var admin = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IOptions<AdminTokenRotationOptions>>().Value);
        Assert.Contains("NexRelay:AdminTokenPrevious", admin.Message);
        var @internal = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IOptions<InternalAuthOptions>>().Value);
        Assert.Contains("NexRelay:InternalTokenPrevious", @internal.Message);
    }

    [Fact]
    public void Without_a_previous_value_only_the_current_token_matches()
    {
        var token = new SecretToken(AdminToken, previous: "");
        Assert.True(token.Matches(AdminToken));
        Assert.False(token.Matches(AdminPrevious));
        Assert.False(token.Matches(""));
        Assert.False(new SecretToken(AdminToken, AdminPrevious).Matches(null));
    }

    private static WebApplication Build(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddOptions<TestAdminOptions>().BindConfiguration("NexRelay");
        builder.Services.AddAdminAuthentication<TestAdminOptions>(o => o.AdminToken);
        builder.Services.AddInternalAuth();
        var app = builder.Build();
        app.UseNexRelayAuth();
        app.MapGroup("/admin/v1/things").RequireAuthorization(NexRelayAuth.AdminPolicy).MapGet("/", () => "admin");
        app.MapGet("/internal/things", () => "internal");
        return app;
    }

    private sealed class Responder(Action<HttpRequestMessage> seen) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen(request);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }
}
