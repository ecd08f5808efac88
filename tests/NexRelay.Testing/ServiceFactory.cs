using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace NexRelay.Testing;

/// <summary>
/// Hosts one service in-process on real Kestrel (a loopback port) against the real servers, with extra settings on top.
/// <see cref="WebApplicationFactory{TEntryPoint}.CreateClient()"/> then talks real HTTP.
/// </summary>
public class ServiceFactory<TProgram> : WebApplicationFactory<TProgram> where TProgram : class
{
    private readonly IDictionary<string, string?> settings;
    private readonly Action<IServiceCollection>? services;

    /// <param name="services">Replaces registrations after the service's own (an injected clock, say).</param>
    public ServiceFactory(IDictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        this.settings = settings;
        this.services = services;
        // Serve on a real loopback port so non-.NET clients (SDKs run from Node) and other services can reach it. The port
        // comes from the host's own URL setting below: UseKestrel(port) rewrites the server's addresses while the host
        // starts, which races with Kestrel starting ("Addresses cannot be modified after the server has started").
        UseKestrel();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting(WebHostDefaults.ServerUrlsKey, "http://127.0.0.1:0");
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        builder.UseEnvironment("Development");
        if (services is not null) builder.ConfigureTestServices(services);
    }
}
