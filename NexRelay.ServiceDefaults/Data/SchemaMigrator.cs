using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace NexRelay.ServiceDefaults.Data;

/// <summary>
/// Applies a service's ordered SQL scripts (embedded resources under <c>Migrations/</c>, applied by name order)
/// once each, under a PostgreSQL advisory lock so replicas starting together don't race. Runs as a hosted
/// service, which the host starts before Kestrel accepts requests.
/// </summary>
public sealed partial class SchemaMigrator(
    NpgsqlDataSource dataSource, Assembly scriptAssembly, string connectionName, ILogger<SchemaMigrator> logger) : IHostedService
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(60);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scripts = scriptAssembly.GetManifestResourceNames()
            .Where(n => n.Contains(".Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

        await using var connection = await OpenWithRetryAsync(cancellationToken);
        // One lock id per database name: replicas of one service serialise, different services don't collide.
        var lockId = (long)StableHash(connection.Database);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({lockId})", cancellationToken);
        try
        {
            await ExecuteAsync(connection,
                "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                cancellationToken);
            foreach (var script in scripts)
            {
                var version = VersionOf(script);
                await using (var check = new NpgsqlCommand("SELECT 1 FROM schema_migrations WHERE version = @v", connection))
                {
                    check.Parameters.AddWithValue("v", version);
                    if (await check.ExecuteScalarAsync(cancellationToken) is not null) continue;
                }
                await using var stream = scriptAssembly.GetManifestResourceStream(script)!;
                using var reader = new StreamReader(stream);
                var sql = await reader.ReadToEndAsync(cancellationToken);
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                await using (var apply = new NpgsqlCommand(sql, connection, tx)) await apply.ExecuteNonQueryAsync(cancellationToken);
                await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version) VALUES (@v)", connection, tx))
                {
                    record.Parameters.AddWithValue("v", version);
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }
                await tx.CommitAsync(cancellationToken);
                LogApplied(logger, version, connection.Database);
            }
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({lockId})", CancellationToken.None);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<NpgsqlConnection> OpenWithRetryAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + ConnectTimeout;
        while (true)
        {
            try
            {
                return await dataSource.OpenConnectionAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException && DateTime.UtcNow < deadline)
            {
                LogWaiting(logger, connectionName, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException)
            {
                throw new InvalidOperationException(
                    $"PostgreSQL database '{connectionName}' is unreachable (setting ConnectionStrings:{connectionName}): {ex.Message}", ex);
            }
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string VersionOf(string resourceName)
    {
        var start = resourceName.IndexOf(".Migrations.", StringComparison.Ordinal) + ".Migrations.".Length;
        return resourceName[start..^".sql".Length];
    }

    private static uint StableHash(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text) hash = (hash ^ c) * 16777619u;
        return hash;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Version} to {Database}")]
    private static partial void LogApplied(ILogger logger, string version, string database);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for PostgreSQL '{Connection}': {Error}")]
    private static partial void LogWaiting(ILogger logger, string connection, string error);
}

public static class SchemaMigrationExtensions
{
    /// <summary>Registers the Npgsql data source for <paramref name="connectionName"/> and applies this service's migrations at start.</summary>
    public static IHostApplicationBuilder AddPostgresWithMigrations(this IHostApplicationBuilder builder, string connectionName, Assembly scriptAssembly)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(connectionName)))
        {
            throw new InvalidOperationException(
                $"Missing PostgreSQL connection string: set ConnectionStrings:{connectionName} (env ConnectionStrings__{connectionName}).");
        }
        builder.AddNpgsqlDataSource(connectionName, configureDataSourceBuilder: ConfigurePool);
        builder.Services.AddHostedService(sp => new SchemaMigrator(
            sp.GetRequiredService<NpgsqlDataSource>(), scriptAssembly, connectionName, sp.GetRequiredService<ILogger<SchemaMigrator>>()));
        return builder;
    }

    /// <summary>
    /// Pooled connections keep their session: by default Npgsql resets one (DISCARD ALL's parts, DISCARD PLANS among them)
    /// each time it goes back to the pool, which threw away every PL/pgSQL plan, so each settlement call re-analysed and
    /// re-planned every statement of settle_requests (most of billing's PostgreSQL CPU in the benchmark). No service keeps
    /// session state on a pooled connection (the migrator releases its advisory lock itself). Statements run often are
    /// prepared once per connection instead of parsed per call.
    /// <para>
    /// Idle pooled connections are pinged every few seconds (Npgsql's keepalive): after a PostgreSQL restart each one
    /// otherwise stays in the pool, dead, until a request draws it and fails (the chaos suite saw key creation answer 502
    /// long after the database was back). A failed ping marks the connection broken, and the pool drops it instead of
    /// lending it. The ping is one tiny round trip per idle connection; busy connections send none.
    /// </para>
    /// </summary>
    private static void ConfigurePool(NpgsqlDataSourceBuilder builder)
    {
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0) builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
        if (builder.ConnectionStringBuilder.KeepAlive == 0) builder.ConnectionStringBuilder.KeepAlive = 2;
    }
}
