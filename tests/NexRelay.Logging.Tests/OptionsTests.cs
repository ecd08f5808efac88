using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Hosting;
using NexRelay.Logging.Extensions;

namespace NexRelay.Logging.Tests;

public sealed class OptionsTests
{
    [Theory]
    [InlineData("NexRelay:AdminToken", "", "NexRelay:AdminToken")]
    [InlineData("NexRelay:AdminToken", "short", "NexRelay:AdminToken")]
    [InlineData("NexRelay:AdminToken", "23-characters-too-short", "NexRelay:AdminToken")] // the shared minimum is 24
    [InlineData("Logging:RetentionDays", "0", "Logging:RetentionDays")]
    [InlineData("Logging:PurgeBatchSize", "0", "Logging:PurgeBatchSize")]
    [InlineData("Logging:PurgeInterval", "00:00:00", "Logging:PurgeInterval")]
    public void A_bad_setting_stops_the_service_at_start_naming_the_setting(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?>
        {
            // Neither server is contacted: options are validated before anything connects.
            ["ConnectionStrings:loggingdb"] = "Host=127.0.0.1;Port=1;Database=none;Username=none;Password=none",
            ["ConnectionStrings:messaging"] = "amqp://guest:guest@127.0.0.1:1/",
            ["NexRelay:AdminToken"] = LoggingFixture.AdminToken,
            [key] = value,
        };
        // The service's own registration and the check the host runs at start (IStartupValidator). Through
        // WebApplicationFactory the failure can surface as an ObjectDisposedException from its deferred host instead.
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        builder.AddLoggingServices();
        using var app = builder.Build();
        var error = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void An_admin_token_of_the_shared_minimum_length_is_accepted()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:loggingdb"] = "Host=127.0.0.1;Port=1;Database=none;Username=none;Password=none",
            ["ConnectionStrings:messaging"] = "amqp://guest:guest@127.0.0.1:1/",
            ["NexRelay:AdminToken"] = "24-characters-just-right",
        });
        builder.AddServiceDefaults();
        builder.AddLoggingServices();
        using var app = builder.Build();
        app.Services.GetRequiredService<IStartupValidator>().Validate();
    }
}
