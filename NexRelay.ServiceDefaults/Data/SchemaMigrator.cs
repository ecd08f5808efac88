using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
/// <see cref="MigrationMode.Verify"/> (Kubernetes: a Job migrates with a DDL user, the services run without one) never
/// changes the schema: it waits until <c>schema_migrations</c> holds everything this build needs, then lets the host start.
/// </summary>
public sealed partial class SchemaMigrator(
    NpgsqlDataSource dataSource, IReadOnlyList<MigrationScript> scripts, string connectionName, ILogger<SchemaMigrator> logger,
    MigrationOptions? options = null) : IHostedService
{
    private const string RepeatableFolder = "Functions";
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(60);
    private readonly MigrationOptions _options = options ?? new MigrationOptions();

    public SchemaMigrator(NpgsqlDataSource dataSource, Assembly scriptAssembly, string connectionName, ILogger<SchemaMigrator> logger,
        MigrationOptions? options = null)
        : this(dataSource, ScriptsIn(scriptAssembly), connectionName, logger, options)
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

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Mode == MigrationMode.Verify) await WaitForSchemaAsync(cancellationToken);
        else await MigrateAsync(cancellationToken);
    }

    /// <summary>
    /// Applies what is due and returns the versions it applied, in order. One transaction holds everything: the advisory
    /// lock is <c>pg_advisory_xact_lock</c>, released by the commit or rollback itself, so no session state outlives the
    /// transaction and a transaction-mode PgBouncer (which may hand each transaction another server connection) cannot
    /// leave a lock held or release another's. PostgreSQL's DDL is transactional: a failed run leaves nothing half done.
    /// </summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await MigrateOnceAsync(cancellationToken);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable && attempt < _options.LockAttempts)
            {
                // A DDL statement waited lock_timeout behind live traffic and gave up rather than queue every later query
                // on that table behind it; the whole run rolled back. Try again shortly.
                LogLockTimeout(logger, connectionName, attempt, _options.LockAttempts);
                await Task.Delay(TimeSpan.FromSeconds(2 * attempt), cancellationToken);
            }
        }
    }

    private async Task<IReadOnlyList<string>> MigrateOnceAsync(CancellationToken cancellationToken)
    {
        var applied = new List<string>();
        await using var connection = await OpenWithRetryAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // One lock id per database name: replicas of one service serialise, different services don't collide. Taken
        // before lock_timeout is set: waiting for another replica's migration is expected and may take a while.
        var lockId = (long)StableHash(connection.Database);
        await ExecuteAsync(connection, tx, $"SELECT pg_advisory_xact_lock({lockId})", cancellationToken);
        // Bounds each DDL statement's wait for a table lock (SET LOCAL: this transaction only, nothing left on the session).
        await ExecuteAsync(connection, tx, $"SET LOCAL lock_timeout = '{(int)_options.LockTimeout.TotalMilliseconds}ms'", cancellationToken);
        await ExecuteAsync(connection, tx,
            "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());" +
            "ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text",
            cancellationToken);
        var known = await ReadAppliedAsync(connection, tx, cancellationToken);
        // Tables first (a function may name a column a migration adds), then the functions.
        foreach (var script in scripts.Where(s => !s.Repeatable).OrderBy(s => s.Version, StringComparer.Ordinal))
        {
            if (known.ContainsKey(script.Version)) continue;
            await ApplyAsync(connection, tx, script, checksum: null, cancellationToken);
            applied.Add(script.Version);
        }
        foreach (var script in scripts.Where(s => s.Repeatable).OrderBy(s => s.Version, StringComparer.Ordinal))
        {
            var checksum = script.Checksum();
            if (known.TryGetValue(script.Version, out var last) && last == checksum) continue;
            await ApplyAsync(connection, tx, script, checksum, cancellationToken);
            applied.Add(script.Version);
        }
        await tx.CommitAsync(cancellationToken);
        foreach (var version in applied) LogApplied(logger, version, connection.Database);
        return applied;
    }

    /// <summary>
    /// What this build needs and <c>schema_migrations</c> does not show yet: ordered migrations not applied, functions whose
    /// applied text differs from this build's. Empty when the schema is ready. Reads only (no DDL, no lock).
    /// </summary>
    public async Task<IReadOnlyList<string>> MissingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenWithRetryAsync(cancellationToken);
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('schema_migrations') IS NOT NULL", connection))
        {
            if (await exists.ExecuteScalarAsync(cancellationToken) is not true) return [.. scripts.Select(s => s.Version).Order(StringComparer.Ordinal)];
        }
        var known = await ReadAppliedAsync(connection, tx: null, cancellationToken);
        return [.. scripts
            .Where(s => s.Repeatable ? !known.TryGetValue(s.Version, out var last) || last != s.Checksum() : !known.ContainsKey(s.Version))
            .Select(s => s.Version).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Verify mode: waits (up to <see cref="MigrationOptions.VerifyTimeout"/>) until the migration Job has brought the schema
    /// to what this build needs; then the host starts. Past the timeout the start fails, naming what is missing, and the
    /// pod restarts and waits again: it never serves against a schema it does not know.
    /// </summary>
    public async Task WaitForSchemaAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + _options.VerifyTimeout;
        while (true)
        {
            var missing = await MissingAsync(cancellationToken);
            if (missing.Count == 0) return;
            if (DateTime.UtcNow >= deadline)
            {
                throw new InvalidOperationException(
                    $"Database '{connectionName}' lacks migrations this build needs ({string.Join(", ", missing)}) after waiting " +
                    $"{_options.VerifyTimeout} (NexRelay:Migrations:Mode = Verify: run the migration Job of this release first).");
            }
            LogSchemaBehind(logger, connectionName, string.Join(", ", missing));
            await Task.Delay(_options.VerifyInterval, cancellationToken);
        }
    }

    private static async Task<Dictionary<string, string?>> ReadAppliedAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken cancellationToken)
    {
        var known = new Dictionary<string, string?>(StringComparer.Ordinal);
        await using var read = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection, tx);
        await using var rows = await read.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken)) known[rows.GetString(0)] = rows.IsDBNull(1) ? null : rows.GetString(1);
        return known;
    }

    /// <summary>The script and its row in schema_migrations, in the run's transaction.</summary>
    private static async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction tx, MigrationScript script, string? checksum, CancellationToken cancellationToken)
    {
        await using (var apply = new NpgsqlCommand(script.Sql, connection, tx)) await apply.ExecuteNonQueryAsync(cancellationToken);
        await using var record = new NpgsqlCommand(
            "INSERT INTO schema_migrations (version, checksum) VALUES (@v, @c) " +
            "ON CONFLICT (version) DO UPDATE SET checksum = excluded.checksum, applied_at = now()", connection, tx);
        record.Parameters.AddWithValue("v", script.Version);
        record.Parameters.AddWithValue("c", (object?)checksum ?? DBNull.Value);
        await record.ExecuteNonQueryAsync(cancellationToken);
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

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Migration of '{Connection}' gave up on a table lock (lock_timeout), attempt {Attempt} of {Attempts}")]
    private static partial void LogLockTimeout(ILogger logger, string connection, int attempt, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for the migration Job: database '{Connection}' lacks {Missing}")]
    private static partial void LogSchemaBehind(ILogger logger, string connection, string missing);
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
        builder.Services.AddOptions<MigrationOptions>().BindConfiguration(MigrationOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHostedService(sp => new SchemaMigrator(
            sp.GetRequiredService<NpgsqlDataSource>(), scriptAssembly, connectionName, sp.GetRequiredService<ILogger<SchemaMigrator>>(),
            sp.GetRequiredService<IOptions<MigrationOptions>>().Value));
        return builder;
    }

    /// <summary>True when the process was started as the migration step (<c>--migrate</c>) rather than as the service.</summary>
    public static bool IsMigrationRun(string[] args) => args.Contains("--migrate", StringComparer.Ordinal);

    /// <summary>
    /// The migration step (a Kubernetes Job, or by hand before an upgrade): applies the service's migrations with the
    /// connection string given to it (a user allowed to change the schema) and exits; a failure exits non-zero. Needs only
    /// <c>ConnectionStrings:{connectionName}</c> and <c>NexRelay:Migrations</c>, none of the service's other settings or secrets.
    /// </summary>
    public static async Task RunMigrationAsync(string[] args, string connectionName, Assembly scriptAssembly)
    {
        var builder = Host.CreateApplicationBuilder(args.Where(a => a != "--migrate").ToArray());
        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"Missing PostgreSQL connection string: set ConnectionStrings:{connectionName} (env ConnectionStrings__{connectionName}).");
        }
        var options = builder.Configuration.GetSection(MigrationOptions.SectionName).Get<MigrationOptions>() ?? new MigrationOptions();
        using var host = builder.Build();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var migrator = new SchemaMigrator(dataSource, scriptAssembly, connectionName, host.Services.GetRequiredService<ILogger<SchemaMigrator>>(), options);
        await migrator.MigrateAsync(CancellationToken.None);
    }

    /// <summary>
    /// Pooled connections keep their session: by default Npgsql resets one (DISCARD ALL's parts, DISCARD PLANS among them)
    /// each time it goes back to the pool, which threw away every PL/pgSQL plan, so each settlement call re-analysed and
    /// re-planned every statement of settle_requests (most of billing's PostgreSQL CPU in the benchmark). No service keeps
    /// session state on a pooled connection (the migrator's advisory lock and lock_timeout end with its transaction). Statements run often are
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
