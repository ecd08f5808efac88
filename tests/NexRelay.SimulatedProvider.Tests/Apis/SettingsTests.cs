using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NexRelay.SimulatedProvider.Extensions;
using NexRelay.Testing;

namespace NexRelay.SimulatedProvider.Tests.Apis;

public sealed class ConfiguredFailureFixture() : SimulatorFixture(new Dictionary<string, string?>
{
    ["Simulator:FailStatus"] = "503",
    ["Simulator:OmitUsage"] = "true",
});

/// <summary>Knob defaults come from the <c>Simulator</c> settings; headers override them.</summary>
public sealed class SettingsTests(ConfiguredFailureFixture sim) : IClassFixture<ConfiguredFailureFixture>
{
    private const string Body = """{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":3}""";

    [Fact]
    public async Task Configured_fail_status_applies_to_every_request()
    {
        var response = await sim.PostAsync("/v1/chat/completions", Body);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task A_header_overrides_the_configured_setting()
    {
        var (response, body) = await sim.PostJsonAsync("/v1/chat/completions", Body, ("x-sim-fail-status", "0"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(body.TryGetProperty("usage", out _));
    }

    [Fact]
    public async Task Health_endpoint_answers()
    {
        using var response = await sim.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("Simulator:FailStatus", "200")]
    [InlineData("Simulator:TokenDelayMs", "-1")]
    [InlineData("Simulator:CutAfter", "-5")]
    [InlineData("Simulator:FinishDelayMs", "-1")]
    [InlineData("Simulator:Tag", "not a tag")]
    public void Invalid_settings_fail_at_start_naming_the_setting(string key, string value)
    {
        // The service's own registration and the check the host runs at start (IStartupValidator). Through
        // WebApplicationFactory the failure sometimes surfaced as an ObjectDisposedException from its deferred host instead.
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value });
        builder.AddSimulatorServices();
        using var app = builder.Build();
        var error = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(key.Split(':')[1], error.Message);
    }
}
