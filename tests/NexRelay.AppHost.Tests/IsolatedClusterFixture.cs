using NexRelay.Testing;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// A cluster with databases and queues of its own, for tests that change billing's or logging's settings: on the shared
/// tables and queues, another test cluster's services would act as replicas with other settings (a billing that claims
/// this cluster's webhook deliveries, a sweep on another hold timeout).
/// </summary>
public abstract class IsolatedClusterFixture(string name) : ClusterFixture
{
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private readonly List<string> _databases = [];

    /// <summary>The settings that point the cluster at its own databases and queues.</summary>
    protected IEnumerable<string> IsolationSettings() =>
    [
        $"NexRelay:Databases:Billing={_databases[0]}",
        $"NexRelay:Databases:KeyPolicy={_databases[1]}",
        $"NexRelay:Databases:Logging={_databases[2]}",
        $"Billing:SettlementQueue=settle-{name}-{_suffix}",
        // Durable (not the tests' usual auto-deleted queue): an outage test restarts RabbitMQ, and a queue deleted with it
        // would drop the settlements the edges publish before billing declares it again.
        $"Logging:IngestQueue=log-{name}-{_suffix}",
    ];

    public override async Task InitializeAsync()
    {
        foreach (var service in new[] { "billing", "keypolicy", "logging" }) _databases.Add(await TestInfrastructure.CreateDatabaseAsync($"{name}_{service}"));
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var database in _databases) await TestInfrastructure.DropDatabaseAsync(database);
    }
}
