using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NexRelay.Edge.Relay;
using NexRelay.Edge.Tests.Keys;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Tests.Relay;

/// <summary>Admission in one place: a route that requires a key gets it admitted, or refused in the route's own format, before its handler.</summary>
public sealed class KeyAdmissionTests : IAsyncLifetime
{
    private readonly OfflineKeys _keys = new();
    private WebApplication _app = null!;
    private HttpClient _client = null!;
    private int _handled;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_keys.Gate);
        _app = builder.Build();
        _app.MapGet("/anthropic", (HttpContext http) => Handle(http)).Speaks(ClientFormat.Anthropic).RequireKey();
        _app.MapGet("/gemini", (HttpContext http) => Handle(http)).Speaks(ClientFormat.Gemini).RequireKey();
        _app.MapGet("/shared", (HttpContext http) => Handle(http)).Speaks(RouteFormat.ByCredentials).RequireKey();
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_app.Urls.First()) };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        _keys.Dispose();
    }

    private string Handle(HttpContext http)
    {
        Interlocked.Increment(ref _handled);
        return $"{http.AdmittedKey().Name} in {http.ClientFormat().WireName}";
    }

    [Fact]
    public async Task An_admitted_key_reaches_the_handler_with_the_routes_format()
    {
        using var response = await GetAsync("/anthropic", "x-api-key", _keys.RealKey());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("real in anthropic", await response.Content.ReadAsStringAsync());

        // Found in memory the second time: admitted without a lookup.
        var key = _keys.RealKey();
        using (await GetAsync("/gemini", "x-goog-api-key", key)) { }
        var calls = _keys.KeyPolicy.Calls;
        using var again = await GetAsync("/gemini", "x-goog-api-key", key);
        Assert.Equal("real in gemini", await again.Content.ReadAsStringAsync());
        Assert.Equal(calls, _keys.KeyPolicy.Calls);
    }

    [Fact]
    public async Task A_missing_key_is_refused_in_the_routes_format_and_the_handler_never_runs()
    {
        using var anthropic = await GetAsync("/anthropic", null, null);
        Assert.Equal(HttpStatusCode.Unauthorized, anthropic.StatusCode);
        var body = JsonNode.Parse(await anthropic.Content.ReadAsStringAsync())!;
        Assert.Equal("authentication_error", body["error"]!["type"]!.GetValue<string>());
        Assert.Contains("Missing API key", body["error"]!["message"]!.GetValue<string>());

        using var gemini = await GetAsync("/gemini", null, null);
        Assert.Equal(HttpStatusCode.Unauthorized, gemini.StatusCode);
        Assert.Equal("UNAUTHENTICATED", JsonNode.Parse(await gemini.Content.ReadAsStringAsync())!["error"]!["status"]!.GetValue<string>());
        Assert.Equal(0, _handled);
    }

    [Fact]
    public async Task A_revoked_key_is_refused_with_the_words_of_an_unknown_one()
    {
        using var response = await GetAsync("/anthropic", "x-api-key", _keys.RealKey(state: "revoked"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Invalid API key", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, _handled);
    }

    [Fact]
    public async Task A_shared_route_refuses_in_the_format_the_credentials_name()
    {
        using var google = await GetAsync("/shared", "x-goog-api-key", "nrk_short");
        Assert.Equal("UNAUTHENTICATED", JsonNode.Parse(await google.Content.ReadAsStringAsync())!["error"]!["status"]!.GetValue<string>());
        using var openai = await GetAsync("/shared", "Authorization", "Bearer nrk_short");
        var error = JsonNode.Parse(await openai.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("invalid_api_key", error["code"]!.GetValue<string>());
    }

    private async Task<HttpResponseMessage> GetAsync(string path, string? header, string? value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (header is not null) request.Headers.TryAddWithoutValidation(header, value);
        return await _client.SendAsync(request);
    }
}
