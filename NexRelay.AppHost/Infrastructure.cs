using System.Globalization;
using NexRelay.AppHost.Local;
using NexRelay.ServiceDefaults;

namespace NexRelay.AppHost;

/// <summary>The databases, cache and broker the services need, as connection-string resources.</summary>
internal sealed record Infrastructure(
    IResourceBuilder<IResourceWithConnectionString> BillingDb,
    IResourceBuilder<IResourceWithConnectionString> KeyPolicyDb,
    IResourceBuilder<IResourceWithConnectionString> LoggingDb,
    IResourceBuilder<IResourceWithConnectionString> Redis,
    IResourceBuilder<IResourceWithConnectionString> Messaging)
{
    /// <summary>
    /// <c>NexRelay:Infrastructure</c> =
    /// <c>local</c> (default, <c>./run.sh</c>): the AppHost runs PostgreSQL, Redis and RabbitMQ itself from the Debian
    /// binaries, as resources with health checks (<see cref="LocalServers"/>), on the ports and data folders of the profile
    /// <c>scripts/infra.sh prepare</c> set up (<c>NexRelay:InfraProfile</c>, default <c>run</c>).
    /// <c>external</c> (the tests and the benchmark): servers already running (<c>scripts/infra.sh start</c>), shared by
    /// many clusters and stopped underneath them by the outage and chaos suites.
    /// <c>containers</c>: Aspire's PostgreSQL, Redis and RabbitMQ containers (needs a container engine).
    /// Both <c>local</c> and <c>external</c> reach the servers through the NEXRELAY_PG_* / NEXRELAY_REDIS_* / NEXRELAY_RABBITMQ_*
    /// settings of the profile's env file.
    /// </summary>
    public static Infrastructure Add(IDistributedApplicationBuilder builder)
    {
        var mode = builder.Configuration["NexRelay:Infrastructure"] ?? "local";
        return mode switch
        {
            "local" => AddLocal(builder),
            "external" => AddExternal(builder),
            "containers" => AddContainers(builder),
            _ => throw new InvalidOperationException($"NexRelay:Infrastructure must be 'local', 'external' or 'containers', not '{mode}'."),
        };
    }

    private static string Need(IDistributedApplicationBuilder builder, string key) => builder.Configuration[key] is { Length: > 0 } v ? v
        : throw new InvalidOperationException($"Setting {key} is missing: prepare the servers with scripts/infra.sh (./run.sh does) or set NexRelay:Infrastructure=containers.");

    /// <summary>
    /// A service's database: <c>NexRelay:Databases:&lt;Service&gt;</c> renames it (a test cluster of its own), else the service's
    /// name in lower case (the databases scripts/infra.sh and the local PostgreSQL resource create).
    /// </summary>
    private static string DatabaseName(IDistributedApplicationBuilder builder, string service) =>
        builder.Configuration[$"NexRelay:Databases:{service}"] ?? service.ToLowerInvariant();

    private static int NeedPort(IDistributedApplicationBuilder builder, string key) => int.Parse(Need(builder, key), CultureInfo.InvariantCulture);

    private static Infrastructure AddLocal(IDistributedApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var servers = new LocalServers(builder, config["NexRelay:InfraProfile"] ?? "run");
        var pgUser = config["NEXRELAY_PG_USER"] ?? "nexrelay";
        var pgPassword = Need(builder, "NEXRELAY_PG_PASSWORD");
        var postgres = servers.AddPostgres(ResourceNames.Postgres, NeedPort(builder, "NEXRELAY_PG_PORT"), pgUser, pgPassword);
        return new(
            servers.AddDatabase(postgres, ResourceNames.BillingDb, DatabaseName(builder, "Billing"), pgUser, pgPassword),
            servers.AddDatabase(postgres, ResourceNames.KeyPolicyDb, DatabaseName(builder, "KeyPolicy"), pgUser, pgPassword),
            servers.AddDatabase(postgres, ResourceNames.LoggingDb, DatabaseName(builder, "Logging"), pgUser, pgPassword),
            servers.AddRedis(ResourceNames.Redis, NeedPort(builder, "NEXRELAY_REDIS_PORT"), Need(builder, "NEXRELAY_REDIS_PASSWORD")),
            servers.AddRabbitMQ(ResourceNames.Messaging, NeedPort(builder, "NEXRELAY_RABBITMQ_PORT"),
                config["NEXRELAY_RABBITMQ_USER"] ?? "nexrelay", Need(builder, "NEXRELAY_RABBITMQ_PASSWORD")));
    }

    private static Infrastructure AddExternal(IDistributedApplicationBuilder builder)
    {
        var config = builder.Configuration;
        string Need(string key) => Infrastructure.Need(builder, key);

        var pgHost = config["NEXRELAY_PG_HOST"] ?? "127.0.0.1";
        var pg = $"Host={pgHost};Port={Need("NEXRELAY_PG_PORT")};Username={config["NEXRELAY_PG_USER"] ?? "nexrelay"};Password={Need("NEXRELAY_PG_PASSWORD")};Maximum Pool Size=100";
        config[$"ConnectionStrings:{ResourceNames.BillingDb}"] = pg + ";Database=" + DatabaseName(builder, "Billing");
        config[$"ConnectionStrings:{ResourceNames.KeyPolicyDb}"] = pg + ";Database=" + DatabaseName(builder, "KeyPolicy");
        config[$"ConnectionStrings:{ResourceNames.LoggingDb}"] = pg + ";Database=" + DatabaseName(builder, "Logging");
        config[$"ConnectionStrings:{ResourceNames.Redis}"] =
            $"127.0.0.1:{Need("NEXRELAY_REDIS_PORT")},password={Need("NEXRELAY_REDIS_PASSWORD")},abortConnect=false";
        config[$"ConnectionStrings:{ResourceNames.Messaging}"] =
            $"amqp://{config["NEXRELAY_RABBITMQ_USER"] ?? "nexrelay"}:{Need("NEXRELAY_RABBITMQ_PASSWORD")}@127.0.0.1:{Need("NEXRELAY_RABBITMQ_PORT")}/";

        return new(
            builder.AddConnectionString(ResourceNames.BillingDb),
            builder.AddConnectionString(ResourceNames.KeyPolicyDb),
            builder.AddConnectionString(ResourceNames.LoggingDb),
            builder.AddConnectionString(ResourceNames.Redis),
            builder.AddConnectionString(ResourceNames.Messaging));
    }

    private static Infrastructure AddContainers(IDistributedApplicationBuilder builder)
    {
        var postgres = builder.AddPostgres(ResourceNames.Postgres).WithDataVolume();
        var redis = builder.AddRedis(ResourceNames.Redis).WithDataVolume();
        var rabbit = builder.AddRabbitMQ(ResourceNames.Messaging).WithDataVolume();
        return new(
            postgres.AddDatabase(ResourceNames.BillingDb, "billing"),
            postgres.AddDatabase(ResourceNames.KeyPolicyDb, "keypolicy"),
            postgres.AddDatabase(ResourceNames.LoggingDb, "logging"),
            redis,
            rabbit);
    }
}
