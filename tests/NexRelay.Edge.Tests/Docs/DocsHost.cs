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
        Edge = new ServiceFactory<Program>(new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = TestInfrastructure.Redis,
            ["ConnectionStrings:messaging"] = TestInfrastructure.RabbitMq,
            ["NexRelay:AdminToken"] = AdminToken,
            ["NexRelay:KeyHashSecret"] = "edge-tests-key-hash-secret-0123456789abcdef",
            ["NexRelay:InternalToken"] = "edge-tests-internal-token-0123456789",
            ["services:billing:http:0"] = "http://127.0.0.1:9",
            ["services:keypolicy:http:0"] = "http://127.0.0.1:9",
            ["services:logging:http:0"] = "http://127.0.0.1:9",
            ["Edge:SpoolPath"] = Path.Combine(Path.GetTempPath(), "nexrelay-docs-tests-" + Guid.NewGuid().ToString("N")),
            ["Logging:LogLevel:Default"] = "Warning",
        });
        Client = Edge.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Edge.DisposeAsync();
    }
}
