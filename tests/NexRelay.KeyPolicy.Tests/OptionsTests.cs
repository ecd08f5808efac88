using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using NexRelay.KeyPolicy.Extensions;
using NexRelay.Testing;

namespace NexRelay.KeyPolicy.Tests;

public sealed class OptionsTests
{
    [Theory]
    [InlineData("NexRelay:KeyHashSecret", null)]
    [InlineData("NexRelay:KeyHashSecret", "too-short-secret")]
    [InlineData("NexRelay:AdminToken", null)]
    [InlineData("NexRelay:AdminToken", "short")]
    [InlineData("NexRelay:AdminToken", "23-characters-too-short")] // the shared minimum is 24
    [InlineData("NexRelay:InternalToken", null)]
    [InlineData("NexRelay:InternalToken", "short")]
    public async Task Service_refuses_to_start_and_names_the_setting_when_it_is_missing_or_weak(string setting, string? value)
    {
        var settings = KeyPolicyFixture.Settings("keypolicy_never_created");
        settings[setting] = value;
        settings["NEXRELAY_ADMIN_TOKEN"] = ""; // the fallback must not rescue a missing NexRelay:AdminToken from the environment

        // The service's own composition (as Program.cs does it), started directly: the failure is the host's start exception.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults();
        builder.AddKeyPolicyServices();
        await using var app = builder.Build();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());
        Assert.True(ex.ToString().Contains(setting, StringComparison.Ordinal), ex.ToString());
    }

    [Fact]
    public async Task Admin_token_falls_back_to_NEXRELAY_ADMIN_TOKEN()
    {
        var database = await TestInfrastructure.CreateDatabaseAsync("keypolicy");
        try
        {
            var settings = KeyPolicyFixture.Settings(database);
            settings["NexRelay:AdminToken"] = null;
            settings["NEXRELAY_ADMIN_TOKEN"] = "fallback-admin-token-123456";
            await using var factory = new KeyPolicyFactory(settings, new CapturedLogs());
            factory.StartServer();
            using var client = factory.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", "fallback-admin-token-123456");
            Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync($"/admin/v1/keys?wallet_id={Guid.NewGuid()}")).StatusCode);
        }
        finally
        {
            await TestInfrastructure.DropDatabaseAsync(database);
        }
    }
}
