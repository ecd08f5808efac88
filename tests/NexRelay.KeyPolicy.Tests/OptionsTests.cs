using NexRelay.Testing;

namespace NexRelay.KeyPolicy.Tests;

public sealed class OptionsTests
{
    [Theory]
    [InlineData("NexRelay:KeyHashSecret", null)]
    [InlineData("NexRelay:KeyHashSecret", "too-short-secret")]
    [InlineData("NexRelay:AdminToken", null)]
    [InlineData("NexRelay:AdminToken", "short")]
    public void Service_refuses_to_start_and_names_the_setting_when_it_is_missing_or_weak(string setting, string? value)
    {
        var settings = KeyPolicyFixture.Settings("keypolicy_never_created");
        settings[setting] = value;
        using var factory = new KeyPolicyFactory(settings, new CapturedLogs());
        var ex = Assert.ThrowsAny<Exception>(() => factory.StartServer());
        Assert.Contains(setting, ex.ToString());
    }
}
