using Aspire.Hosting.Testing;
using NexRelay.Testing;

namespace NexRelay.AppHost.Tests;

/// <summary>The AppHost refuses an admin token the services would refuse, naming it, before it starts anything.</summary>
public sealed class AppSecretsTests
{
    [Fact]
    public async Task A_short_admin_token_stops_the_apphost_naming_the_setting_and_the_minimum()
    {
        string[] args =
        [
            "NEXRELAY_ADMIN_TOKEN=23-characters-too-short",
            $"NEXRELAY_PG_PORT={TestInfrastructure.Need("NEXRELAY_PG_PORT")}",
            $"NEXRELAY_PG_PASSWORD={TestInfrastructure.Need("NEXRELAY_PG_PASSWORD")}",
            $"NEXRELAY_REDIS_PORT={TestInfrastructure.Need("NEXRELAY_REDIS_PORT")}",
            $"NEXRELAY_REDIS_PASSWORD={TestInfrastructure.Need("NEXRELAY_REDIS_PASSWORD")}",
            $"NEXRELAY_RABBITMQ_PORT={TestInfrastructure.Need("NEXRELAY_RABBITMQ_PORT")}",
            $"NEXRELAY_RABBITMQ_PASSWORD={TestInfrastructure.Need("NEXRELAY_RABBITMQ_PASSWORD")}",
        ];
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.NexRelay_AppHost>(args);
            await using var app = await builder.BuildAsync();
        });
        Assert.Contains("NEXRELAY_ADMIN_TOKEN", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("at least 24 characters", error.ToString(), StringComparison.Ordinal);
    }
}
