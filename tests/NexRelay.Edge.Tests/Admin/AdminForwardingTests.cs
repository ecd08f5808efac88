using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NexRelay.Testing;

namespace NexRelay.Edge.Tests.Admin;

/// <summary>
/// <c>/admin/v1/*</c> on the real edge (real Kestrel, Redis and RabbitMQ) when the service that owns the resource cannot
/// answer: a ProblemDetails 503 naming the service, never a 500 or a hang; the token and resource checks come first.
/// </summary>
public sealed class AdminForwardingTests : IAsyncLifetime
{
    private const string AdminToken = "edge-tests-admin-token-0123456789";
    private ServiceFactory<Program> _edge = null!;
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        // Billing, key-policy and logging are closed ports: every forwarded call is refused.
        _edge = new ServiceFactory<Program>(OfflineEdgeSettings.For(AdminToken, "nexrelay-admin-tests-"));
        _client = _edge.CreateClient();
        _client.Timeout = TimeSpan.FromSeconds(30);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _edge.DisposeAsync();
    }

    [Fact]
    public async Task An_unreachable_owner_gets_a_503_problem_naming_it()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/v1/wallets")
        {
            Content = JsonContent.Create(new { name = "unreachable" }),
        };
        request.Headers.Authorization = new("Bearer", AdminToken);

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await ReadProblemAsync(response);
        Assert.Equal(503, problem.GetProperty("status").GetInt32());
        Assert.Equal("https://nexrelay.dev/problems/service-unavailable", problem.GetProperty("type").GetString());
        Assert.Contains("billing", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_token_is_refused_before_any_forwarding()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/v1/wallets") { Content = JsonContent.Create(new { }) };
        request.Headers.Authorization = new("Bearer", "not-the-admin-token-at-all");

        using var response = await _client.SendAsync(request);

        // 401, not the 503 the unreachable billing would give: the token is checked first.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("https://nexrelay.dev/problems/admin-token", (await ReadProblemAsync(response)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_unknown_resource_is_a_404_problem_listing_the_real_ones()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/invoices/1");
        request.Headers.Authorization = new("Bearer", AdminToken);

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var detail = (await ReadProblemAsync(response)).GetProperty("detail").GetString();
        Assert.Contains("'invoices'", detail, StringComparison.Ordinal);
        Assert.Contains("keys, wallets, redemption-codes, logs or usage", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/admin/v1/dead-letters/settlements/requeue", "billing")]
    [InlineData("/admin/v1/dead-letters/logs/requeue", "logging")]
    public async Task Dead_letters_are_forwarded_to_the_service_that_owns_their_queue(string path, string owner)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Authorization = new("Bearer", AdminToken);

        using var response = await _client.SendAsync(request);

        // The owner is a closed port here: its 503 names it.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains(owner, (await ReadProblemAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dead_letters_of_an_unknown_queue_are_a_404_problem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/dead-letters/payments");
        request.Headers.Authorization = new("Bearer", AdminToken);

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("dead-letters/settlements", (await ReadProblemAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static async Task<JsonElement> ReadProblemAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}
