using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NexRelay.ServiceDefaults.Auth;
using NexRelay.ServiceDefaults.Internal;
using NexRelay.Testing;

namespace NexRelay.Edge.Tests.Admin;

/// <summary>
/// <c>/admin/v1/*</c> on the real edge forwarded (YARP) to a scripted billing on real Kestrel: the call arrives as it was
/// sent, with the admin token and the edge's own internal token and without hop-by-hop headers; the answer comes back the
/// same way, except an owner's 5xx, whose body (its internals) is replaced by a problem naming it.
/// </summary>
public sealed class AdminForwarderTests : IAsyncLifetime
{
    private const string AdminToken = "edge-tests-admin-token-0123456789";
    private const string InternalToken = "edge-tests-internal-token-0123456789";
    private WebApplication _billing = null!;
    private ServiceFactory<Program> _edge = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _billing = builder.Build();
        // Echoes what arrived; answers with a hop-by-hop header that must not reach the caller.
        _billing.Map("/admin/v1/wallets/{**rest}", async (HttpContext http) =>
        {
            var body = await new StreamReader(http.Request.Body).ReadToEndAsync();
            http.Response.Headers["X-Owner"] = "billing";
            http.Response.Headers["Proxy-Authenticate"] = "Basic";
            await http.Response.WriteAsJsonAsync(new Dictionary<string, string?>
            {
                ["method"] = http.Request.Method,
                ["path"] = http.Request.Path + http.Request.QueryString,
                ["authorization"] = http.Request.Headers.Authorization.ToString(),
                ["internal"] = http.Request.Headers[InternalAuth.HeaderName].ToString(),
                ["note"] = http.Request.Headers["X-Note"].ToString(),
                ["proxy_authorization"] = http.Request.Headers.ProxyAuthorization.ToString(),
                ["body"] = body,
            });
        });
        _billing.MapGet("/admin/v1/wallets/failing/ledger", () => Results.Text("System.InvalidOperationException at Secret.Stack.Trace", statusCode: 500));
        _billing.MapGet("/admin/v1/wallets/busy/ledger", () => Results.Text("database down", statusCode: 503));
        await _billing.StartAsync();
        var billingUrl = _billing.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        _edge = new ServiceFactory<Program>(new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = TestInfrastructure.Redis,
            ["ConnectionStrings:messaging"] = TestInfrastructure.RabbitMq,
            ["NexRelay:AdminToken"] = AdminToken,
            ["NexRelay:KeyHashSecret"] = "edge-tests-key-hash-secret-0123456789abcdef",
            ["NexRelay:InternalToken"] = InternalToken,
            ["services:billing:http:0"] = billingUrl,
            ["services:keypolicy:http:0"] = "http://127.0.0.1:9",
            ["services:logging:http:0"] = "http://127.0.0.1:9",
            ["Edge:SpoolPath"] = Path.Combine(Path.GetTempPath(), "nexrelay-admin-forwarder-tests-" + Guid.NewGuid().ToString("N")),
            ["Logging:LogLevel:Default"] = "Warning",
        });
        _client = _edge.CreateClient();
        _client.Timeout = TimeSpan.FromSeconds(30);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _edge.DisposeAsync();
        await _billing.DisposeAsync();
    }

    [Fact]
    public async Task A_call_reaches_its_owner_as_sent_with_the_edges_internal_token_and_comes_back_without_hop_by_hop_headers()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/v1/wallets/abc/credits?note=1")
        {
            Content = new StringContent("""{"amount_usd":"5.00"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", AdminToken);
        request.Headers.TryAddWithoutValidation("X-Note", "kept");
        request.Headers.TryAddWithoutValidation("Proxy-Authorization", "Basic dropped");
        request.Headers.TryAddWithoutValidation(InternalAuth.HeaderName, "a-callers-own-guess-at-the-token");

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("billing", response.Headers.GetValues("X-Owner").Single());
        Assert.False(response.Headers.Contains("Proxy-Authenticate"));
        var echo = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("POST", echo.GetProperty("method").GetString());
        Assert.Equal("/admin/v1/wallets/abc/credits?note=1", echo.GetProperty("path").GetString());
        Assert.Equal("Bearer " + AdminToken, echo.GetProperty("authorization").GetString());
        Assert.Equal(InternalToken, echo.GetProperty("internal").GetString());
        Assert.Equal("kept", echo.GetProperty("note").GetString());
        Assert.Equal("", echo.GetProperty("proxy_authorization").GetString());
        Assert.Equal("""{"amount_usd":"5.00"}""", echo.GetProperty("body").GetString());
    }

    [Fact]
    public void The_forwarded_admin_route_keeps_its_name_and_tag_and_requires_the_admin_policy()
    {
        var route = _edge.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .Single(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == "Admin");

        Assert.Equal("/admin/v1/{resource}/{**rest}", ((RouteEndpoint)route).RoutePattern.RawText);
        Assert.Equal(["Admin"], route.Metadata.GetMetadata<ITagsMetadata>()!.Tags);
        Assert.Equal(NexRelayAuth.AdminPolicy, route.Metadata.GetMetadata<IAuthorizeData>()!.Policy);
    }

    [Theory]
    [InlineData("/admin/v1/wallets/failing/ledger", HttpStatusCode.BadGateway, "https://nexrelay.dev/problems/service-error")]
    [InlineData("/admin/v1/wallets/busy/ledger", HttpStatusCode.ServiceUnavailable, "https://nexrelay.dev/problems/service-unavailable")]
    public async Task An_owners_failure_is_a_problem_naming_it_without_its_body(string path, HttpStatusCode status, string type)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new("Bearer", AdminToken);

        using var response = await _client.SendAsync(request);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(type, problem.GetProperty("type").GetString());
        Assert.Contains("billing", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Stack", text, StringComparison.Ordinal);
        Assert.DoesNotContain("database down", text, StringComparison.Ordinal);
    }
}
