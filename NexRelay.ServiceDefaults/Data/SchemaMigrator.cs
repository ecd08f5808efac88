using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace NexRelay.ServiceDefaults.Data;

/// <summary>
/// Applies a service's SQL scripts (embedded resources under <c>Migrations/</c>) under a PostgreSQL advisory lock, so
/// replicas starting together don't race. Runs as a hosted service, which the host starts before Kestrel accepts requests.
/// <list type="bullet">
/// <item>Ordered migrations (<c>Migrations/NNNN_name.sql</c>: tables, indexes, data) are applied once each, by name order,
/// and never edited once shipped.</item>
/// <item>Repeatable ones (<c>Migrations/Functions/name.sql</c>: one SQL function's live definition, written
/// <c>CREATE OR REPLACE</c>) are applied after them, by name, whenever their content differs from what was last applied
/// (its SHA-256 is kept in <c>schema_migrations.checksum</c>), so a function's current logic is read in one file instead of
/// in whichever migration replaced it last.</item>
/// </list>
/// </summary>
public sealed partial class SchemaMigrator(
    NpgsqlDataSource dataSource, IReadOnlyList<MigrationScript> scripts, string connectionName, ILogger<SchemaMigrator> logger) : IHostedService
{
    private const string RepeatableFolder = "Functions";
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(60);

    public SchemaMigrator(NpgsqlDataSource dataSource, Assembly scriptAssembly, string connectionName, ILogger<SchemaMigrator> logger)
        : this(dataSource, ScriptsIn(scriptAssembly), connectionName, logger)
    {
    }

    /// <summary>The assembly's embedded <c>Migrations/*.sql</c> (ordered) and <c>Migrations/Functions/*.sql</c> (repeatable).</summary>
    public static IReadOnlyList<MigrationScript> ScriptsIn(Assembly assembly)
    {
        const string marker = ".Migrations.";
        var scripts = new List<MigrationScript>();
        foreach (var name in assembly.GetManifestResourceNames())
        {
            var start = name.IndexOf(marker, StringComparison.Ordinal);
            if (start < 0 || !name.EndsWith(".sql", StringComparison.Ordinal)) continue;
            var relative = name[(start + marker.Length)..^".sql".Length];
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            var sql = reader.ReadToEnd();
            scripts.Add(relative.StartsWith(RepeatableFolder + ".", StringComparison.Ordinal)
                ? new MigrationScript($"{RepeatableFolder}/{relative[(RepeatableFolder.Length + 1)..]}", sql, Repeatable: true)
                : new MigrationScript(relative, sql, Repeatable: false));
        }
        return scripts;
    }

    public async Task StartAsync(CancellationToken cancellationToken) => await MigrateAsync(cancellationToken);

    /// <summary>Applies what is due and returns the versions it applied, in order.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        var applied = new List<string>();
        await using var connection = await OpenWithRetryAsync(cancellationToken);
        // One lock id per database name: replicas of one service serialise, different services don't collide.
        var lockId = (long)StableHash(connection.Database);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({lockId})", cancellationToken);
        try
        {
            await ExecuteAsync(connection,
                "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());" +
                "ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text",
                cancellationToken);
            var known = new Dictionary<string, string?>(StringComparer.Ordinal);
            await using (var read = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection))
            await using (var rows = await read.ExecuteReaderAsync(cancellationToken))
            {
                while (await rows.ReadAsync(cancellationToken)) known[rows.GetString(0)] = rows.IsDBNull(1) ? null : rows.GetString(1);
            }
            // Tables first (a function may name a column a migration adds), then the functions.
            foreach (var script in scripts.Where(s => !s.Repeatable).OrderBy(s => s.Version, StringComparer.Ordinal))
            {
                if (known.ContainsKey(script.Version)) continue;
                await ApplyAsync(connection, script, checksum: null, cancellationToken);
                applied.Add(script.Version);
            }
            foreach (var script in scripts.Where(s => s.Repeatable).OrderBy(s => s.Version, StringComparer.Ordinal))
            {
                var checksum = script.Checksum();
                if (known.TryGetValue(script.Version, out var last) && last == checksum) continue;
                await ApplyAsync(connection, script, checksum, cancellationToken);
                applied.Add(script.Version);
            }
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({lockId})", CancellationToken.None);
        }
        return applied;
    }

    /// <summary>The script and its row in schema_migrations, in one transaction.</summary>
    private async Task ApplyAsync(NpgsqlConnection connection, MigrationScript script, string? checksum, CancellationToken cancellationToken)
    {
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var apply = new NpgsqlCommand(script.Sql, connection, tx)) await apply.ExecuteNonQueryAsync(cancellationToken);
        await using (var record = new NpgsqlCommand(
            "INSERT INTO schema_migrations (version, checksum) VALUES (@v, @c) " +
            "ON CONFLICT (version) DO UPDATE SET checksum = excluded.checksum, applied_at = now()", connection, tx))
        {
            record.Parameters.AddWithValue("v", script.Version);
            record.Parameters.AddWithValue("c", (object?)checksum ?? DBNull.Value);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        LogApplied(logger, script.Version, connection.Database);
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

/// <summary>
/// One SQL script: <paramref name="Version"/> is its name under <c>Migrations/</c> without <c>.sql</c> (e.g.
/// <c>0003_credit_leases</c>, <c>Functions/settle_hold</c>); a repeatable one is applied again whenever its content changes.
/// </summary>
public sealed record MigrationScript(string Version, string Sql, bool Repeatable)
{
    /// <summary>SHA-256 of the script with its line endings normalised, so a checkout with CRLF does not re-apply it.</summary>
    public string Checksum() =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));
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
