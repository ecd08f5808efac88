using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RabbitMQ.Client;

namespace NexRelay.AppHost.Local;

/// <summary>
/// Adds the servers of <c>NexRelay:Infrastructure=local</c> as the AppHost's own resources: each runs through
/// <c>scripts/infra.sh serve</c>, has a health check the services <c>WaitFor</c>, and shows in the dashboard with its state,
/// health and console log. The data folders, ports and passwords are the profile's (<c>scripts/infra.sh prepare</c>
/// initialises them and writes them to the profile's env file, which <c>./run.sh</c> loads).
/// </summary>
internal sealed class LocalServers(IDistributedApplicationBuilder builder, string profile)
{
    private readonly string _script = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "scripts", "infra.sh"));
    private readonly string _root = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));

    public IResourceBuilder<LocalServerResource> AddPostgres(string name, int port, string user, string password)
    {
        var secret = builder.AddParameter($"{name}-password", password, secret: true);
        var server = new LocalServerResource(name, _script, _root, port,
            ReferenceExpression.Create($"Host=127.0.0.1;Port={port.ToString(System.Globalization.CultureInfo.InvariantCulture)};Username={user};Password={secret.Resource}"));
        server.ConnectionProperties.AddRange([
            new("Host", ReferenceExpression.Create($"127.0.0.1")),
            new("Port", ReferenceExpression.Create($"{server.PortText}")),
            new("Username", ReferenceExpression.Create($"{user}")),
            new("Password", ReferenceExpression.Create($"{secret.Resource}")),
        ]);
        var healthCheck = $"{name}-health";
        builder.Services.AddHealthChecks().AddNpgSql($"Host=127.0.0.1;Port={port};Username={user};Password={password};Database=postgres;Pooling=false", name: healthCheck);

        // The services migrate their own schemas, into databases that must exist: created (if missing) once the server
        // answers, as Aspire's own PostgreSQL resource does for its databases.
        builder.Eventing.Subscribe<ResourceReadyEvent>(server, async (_, cancellationToken) =>
        {
            await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username={user};Password={password};Database=postgres;Pooling=false");
            await connection.OpenAsync(cancellationToken);
            foreach (var database in builder.Resources.OfType<LocalDatabaseResource>().Where(d => d.Parent == server))
            {
                await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database.DatabaseName } } };
                if (await exists.ExecuteScalarAsync(cancellationToken) is not null) continue;
                var quoted = "\"" + database.DatabaseName.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
                await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
        });

        return Serve(builder.AddResource(server), "postgres", port).WithHealthCheck(healthCheck);
    }

    public IResourceBuilder<LocalDatabaseResource> AddDatabase(IResourceBuilder<LocalServerResource> server, string name, string databaseName, string user, string password)
    {
        var database = new LocalDatabaseResource(name, databaseName, server.Resource);
        var healthCheck = $"{name}-health";
        builder.Services.AddHealthChecks().AddNpgSql(
            $"Host=127.0.0.1;Port={server.Resource.Port};Username={user};Password={password};Database={databaseName};Pooling=false", name: healthCheck);
        // A database has no process of its own: it shows its server's state (and its own health, once created).
        builder.Eventing.Subscribe<InitializeResourceEvent>(database, (e, cancellationToken) =>
        {
            _ = Task.Run(() => MirrorStateAsync(server.Resource, database, e.Notifications, cancellationToken), cancellationToken);
            return Task.CompletedTask;
        });
        return builder.AddResource(database)
            .WithInitialState(new() { ResourceType = "PostgresDatabase", State = KnownResourceStates.Waiting, Properties = [] })
            .WithHealthCheck(healthCheck);
    }

    public IResourceBuilder<LocalServerResource> AddRedis(string name, int port, string password)
    {
        var secret = builder.AddParameter($"{name}-password", password, secret: true);
        var server = new LocalServerResource(name, _script, _root, port,
            ReferenceExpression.Create($"127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)},password={secret.Resource},abortConnect=false"));
        server.ConnectionProperties.AddRange([
            new("Host", ReferenceExpression.Create($"127.0.0.1")),
            new("Port", ReferenceExpression.Create($"{server.PortText}")),
            new("Password", ReferenceExpression.Create($"{secret.Resource}")),
        ]);
        var healthCheck = $"{name}-health";
        builder.Services.AddHealthChecks().AddRedis($"127.0.0.1:{port},password={password},abortConnect=false", name: healthCheck);
        return Serve(builder.AddResource(server), "redis", port).WithHealthCheck(healthCheck);
    }

    public IResourceBuilder<LocalServerResource> AddRabbitMQ(string name, int port, string user, string password)
    {
        var secret = builder.AddParameter($"{name}-password", password, secret: true);
        var server = new LocalServerResource(name, _script, _root, port,
            ReferenceExpression.Create($"amqp://{user}:{secret.Resource}@127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}/"));
        server.ConnectionProperties.AddRange([
            new("Host", ReferenceExpression.Create($"127.0.0.1")),
            new("Port", ReferenceExpression.Create($"{server.PortText}")),
            new("Username", ReferenceExpression.Create($"{user}")),
            new("Password", ReferenceExpression.Create($"{secret.Resource}")),
        ]);
        var healthCheck = $"{name}-health";
        var uri = new Uri($"amqp://{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password)}@127.0.0.1:{port}/");
        builder.Services.AddHealthChecks().AddRabbitMQ(
            async _ => await new ConnectionFactory { Uri = uri }.CreateConnectionAsync(), name: healthCheck);
        return Serve(builder.AddResource(server), "rabbitmq", port).WithHealthCheck(healthCheck);
    }

    private IResourceBuilder<LocalServerResource> Serve(IResourceBuilder<LocalServerResource> server, string kind, int port) =>
        server.WithArgs("serve", kind, profile)
            // The profile's fixed port, as the services and scripts/infra.sh know it (not proxied: nothing to allocate).
            .WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: "tcp", isProxied: false)
            .WithIconName("Database");

    private static async Task MirrorStateAsync(LocalServerResource server, LocalDatabaseResource database, ResourceNotificationService notifications, CancellationToken cancellationToken)
    {
        await foreach (var update in notifications.WatchAsync(cancellationToken))
        {
            if (update.Resource != server) continue;
            await notifications.PublishUpdateAsync(database, s => s with
            {
                State = update.Snapshot.State,
                StartTimeStamp = update.Snapshot.StartTimeStamp,
                StopTimeStamp = update.Snapshot.StopTimeStamp,
            });
        }
    }
}
