using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;

namespace NexRelay.Testing;

/// <summary>
/// Hosts one service in-process on real Kestrel (a loopback port) against the real servers, with extra settings on top.
/// <see cref="WebApplicationFactory{TEntryPoint}.CreateClient()"/> then talks real HTTP.
/// </summary>
public class ServiceFactory<TProgram>(IDictionary<string, string?> settings) : WebApplicationFactory<TProgram> where TProgram : class
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        builder.UseEnvironment("Development");
    }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        // Serve on a real loopback port so non-.NET clients (SDKs run from Node) and other services can reach it.
        UseKestrel(0);
        return base.CreateHost(builder);
    }
}
