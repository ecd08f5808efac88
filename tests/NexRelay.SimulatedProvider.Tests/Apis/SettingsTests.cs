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
    [InlineData("Simulator:HiddenReasoning", "-1")]
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

public sealed class ConfiguredKnobsFixture() : SimulatorFixture(new Dictionary<string, string?>
{
    ["Simulator:UsageInput"] = "-4",
    ["Simulator:UsageCached"] = "9223372036854775807",
    ["Simulator:HiddenReasoning"] = "2",
    ["Simulator:Tag"] = "configured-tag",
});

/// <summary>The newer knobs read their defaults from settings too, below headers, directives and the path.</summary>
public sealed class KnobSettingsTests(ConfiguredKnobsFixture sim) : IClassFixture<ConfiguredKnobsFixture>
{
    private const string Body = """{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":3}""";

    [Fact]
    public async Task Configured_usage_and_reasoning_apply_to_every_request()
    {
        var (response, body) = await sim.PostJsonAsync("/v1/chat/completions", Body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var usage = body.GetProperty("usage");
        Assert.Equal(-4, usage.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(long.MaxValue, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt64());
        Assert.Equal(3 + 2, usage.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(2, usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt64());
    }

    [Fact]
    public async Task Headers_directives_and_the_path_override_the_configured_values()
    {
        var (_, fromHeader) = await sim.PostJsonAsync("/v1/chat/completions", Body, ("x-sim-usage-input", "8"), ("x-sim-hidden-reasoning", "0"));
        var (_, fromDirective) = await sim.PostJsonAsync("/v1/chat/completions", Body.Replace("hi", "hi [sim:usage-input=9]"));
        var (_, fromPath) = await sim.PostJsonAsync("/knobs/usage-input=10/v1/chat/completions", Body);

        Assert.Equal(8, fromHeader.GetProperty("usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(0, fromHeader.GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt64());
        Assert.Equal(9, fromDirective.GetProperty("usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(10, fromPath.GetProperty("usage").GetProperty("prompt_tokens").GetInt64());
    }

    [Fact]
    public async Task A_configured_tag_counts_every_request()
    {
        var before = (await SimulatorFixture.ReadJsonAsync(await sim.Client.GetAsync("/sim/requests/configured-tag"))).GetProperty("count").GetInt64();
        await sim.PostJsonAsync("/v1/chat/completions", Body);
        await sim.PostJsonAsync("/v1/chat/completions", Body);
        var after = (await SimulatorFixture.ReadJsonAsync(await sim.Client.GetAsync("/sim/requests/configured-tag"))).GetProperty("count").GetInt64();

        Assert.Equal(before + 2, after);
    }
}
