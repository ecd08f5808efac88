using NexRelay.Testing;

namespace NexRelay.Logging.Tests;

public sealed class OptionsTests
{
    [Theory]
    [InlineData("NexRelay:AdminToken", "", "NexRelay:AdminToken")]
    [InlineData("NexRelay:AdminToken", "short", "NexRelay:AdminToken")]
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
        using var factory = new ServiceFactory<Program>(settings);
        var error = Assert.ThrowsAny<Exception>(() => factory.StartServer());
        Assert.Contains(named, error.ToString());
    }
}
