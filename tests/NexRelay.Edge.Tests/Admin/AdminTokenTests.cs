using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NexRelay.Edge.Admin;
using NexRelay.Edge.Extensions;
using NexRelay.ServiceDefaults;

namespace NexRelay.Edge.Tests.Admin;

/// <summary>The edge's admin token has the minimum every NexRelay service shares, checked when the edge starts.</summary>
public sealed class AdminTokenTests
{
    [Fact]
    public void Every_service_shares_one_minimum_of_24_characters() => Assert.Equal(24, AdminTokenAttribute.MinLength);

    [Theory]
    [InlineData(null)]
    [InlineData("16-chars-is-old!")]
    [InlineData("23-characters-too-short")]
    public void A_short_admin_token_stops_the_edge_at_start_naming_the_setting(string? token)
    {
        using var app = Build(token);
        var error = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IOptions<AdminOptions>>().Value);
        Assert.Contains("NexRelay:AdminToken", error.Message);
        Assert.Contains("24 characters", error.Message);
    }

    [Fact]
    public void An_admin_token_of_the_shared_minimum_length_is_accepted()
    {
        using var app = Build("24-characters-just-right");
        Assert.Equal("24-characters-just-right", app.Services.GetRequiredService<IOptions<AdminOptions>>().Value.AdminToken);
    }

    private static WebApplication Build(string? adminToken)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Nothing is contacted: options are read before anything connects.
            ["ConnectionStrings:redis"] = "127.0.0.1:1,abortConnect=false",
            ["ConnectionStrings:messaging"] = "amqp://guest:guest@127.0.0.1:1/",
            ["NexRelay:KeyHashSecret"] = "edge-tests-key-hash-secret-0123456789abcdef",
            ["NexRelay:InternalToken"] = "edge-tests-internal-token-0123456789",
            ["NexRelay:AdminToken"] = adminToken,
        });
        builder.AddServiceDefaults();
        builder.AddEdgeServices();
        return builder.Build();
    }
}
