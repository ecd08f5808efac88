using System.Globalization;
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
        var server = Server(name, "postgres", port, user, password,
            (portText, secret) => ReferenceExpression.Create($"Host=127.0.0.1;Port={portText};Username={user};Password={secret}"));
        builder.Services.AddHealthChecks().AddNpgSql(PostgresConnection(port, user, password, "postgres"), name: HealthCheck(name));

        // The services migrate their own schemas, into databases that must exist: created (if missing) once the server
        // answers, as Aspire's own PostgreSQL resource does for its databases.
        builder.Eventing.Subscribe<ResourceReadyEvent>(server.Resource, async (_, cancellationToken) =>
        {
            await using var connection = new NpgsqlConnection(PostgresConnection(port, user, password, "postgres"));
            await connection.OpenAsync(cancellationToken);
            foreach (var database in builder.Resources.OfType<LocalDatabaseResource>().Where(d => d.Parent == server.Resource))
            {
                await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database.DatabaseName } } };
                if (await exists.ExecuteScalarAsync(cancellationToken) is not null) continue;
                var quoted = "\"" + database.DatabaseName.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
                await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
        });
        return server;
    }

    public IResourceBuilder<LocalDatabaseResource> AddDatabase(IResourceBuilder<LocalServerResource> server, string name, string databaseName, string user, string password)
    {
        var database = new LocalDatabaseResource(name, databaseName, server.Resource);
        builder.Services.AddHealthChecks().AddNpgSql(PostgresConnection(server.Resource.Port, user, password, databaseName), name: HealthCheck(name));
        // A database has no process of its own: it shows its server's state (and its own health, once created).
        builder.Eventing.Subscribe<InitializeResourceEvent>(database, (e, cancellationToken) =>
        {
            _ = Task.Run(() => MirrorStateAsync(server.Resource, database, e.Notifications, cancellationToken), cancellationToken);
            return Task.CompletedTask;
        });
        return builder.AddResource(database)
            .WithInitialState(new() { ResourceType = "PostgresDatabase", State = KnownResourceStates.Waiting, Properties = [] })
            .WithHealthCheck(HealthCheck(name));
    }

    public IResourceBuilder<LocalServerResource> AddRedis(string name, int port, string password)
    {
        var server = Server(name, "redis", port, user: null, password,
            (portText, secret) => ReferenceExpression.Create($"127.0.0.1:{portText},password={secret},abortConnect=false"));
        builder.Services.AddHealthChecks().AddRedis($"127.0.0.1:{port},password={password},abortConnect=false", name: HealthCheck(name));
        return server;
    }

    public IResourceBuilder<LocalServerResource> AddRabbitMQ(string name, int port, string user, string password)
    {
        var server = Server(name, "rabbitmq", port, user, password,
            (portText, secret) => ReferenceExpression.Create($"amqp://{user}:{secret}@127.0.0.1:{portText}/"));
        var uri = new Uri($"amqp://{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password)}@127.0.0.1:{port}/");
        builder.Services.AddHealthChecks().AddRabbitMQ(async _ => await new ConnectionFactory { Uri = uri }.CreateConnectionAsync(), name: HealthCheck(name));
        return server;
    }

    /// <summary>
    /// The server resource: <c>infra.sh serve &lt;kind&gt; &lt;profile&gt;</c> on the profile's fixed port (not proxied: nothing
    /// to allocate), its password a secret parameter, its connection string and properties, and its health check (which the
    /// caller registers under <see cref="HealthCheck"/>).
    /// </summary>
    private IResourceBuilder<LocalServerResource> Server(string name, string kind, int port, string? user, string password,
        Func<string, ParameterResource, ReferenceExpression> connectionString)
    {
        var secret = builder.AddParameter($"{name}-password", password, secret: true).Resource;
        var portText = port.ToString(CultureInfo.InvariantCulture);
        var server = new LocalServerResource(name, _script, _root, port, connectionString(portText, secret));
        server.ConnectionProperties.Add(new("Host", ReferenceExpression.Create($"127.0.0.1")));
        server.ConnectionProperties.Add(new("Port", ReferenceExpression.Create($"{portText}")));
        if (user is not null) server.ConnectionProperties.Add(new("Username", ReferenceExpression.Create($"{user}")));
        server.ConnectionProperties.Add(new("Password", ReferenceExpression.Create($"{secret}")));
        return builder.AddResource(server)
            .WithArgs("serve", kind, profile)
            .WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: "tcp", isProxied: false)
            .WithIconName("Database")
            .WithHealthCheck(HealthCheck(name));
    }

    private static string HealthCheck(string resource) => $"{resource}-health";

    private static string PostgresConnection(int port, string user, string password, string database) =>
        $"Host=127.0.0.1;Port={port};Username={user};Password={password};Database={database};Pooling=false";

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
