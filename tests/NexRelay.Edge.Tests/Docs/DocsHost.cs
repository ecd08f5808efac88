using NexRelay.Testing;

namespace NexRelay.Edge.Tests.Docs;

/// <summary>One real edge (real Redis and RabbitMQ; billing, key-policy and logging closed ports) for the docs tests.</summary>
public sealed class DocsHost : IAsyncLifetime
{
    public const string AdminToken = "edge-docs-tests-admin-token-0123456789";

    public ServiceFactory<Program> Edge { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public IServiceProvider Services => Edge.Services;

    public Task InitializeAsync()
    {
        Edge = new ServiceFactory<Program>(OfflineEdgeSettings.For(AdminToken, "nexrelay-docs-tests-"));
        Client = Edge.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Edge.DisposeAsync();
    }
}
