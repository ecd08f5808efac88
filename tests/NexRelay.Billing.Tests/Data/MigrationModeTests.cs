using Microsoft.Extensions.Logging.Abstractions;
using NexRelay.ServiceDefaults.Data;
using NexRelay.Testing;
using Npgsql;

namespace NexRelay.Billing.Tests.Data;

/// <summary>
/// Migrations as a separate step (deploy/kubernetes/README.md, "Migrations"): in Verify mode a service changes nothing and
/// starts only once the schema has every migration it needs; the applying run holds its lock for one transaction only and
/// gives up on a table lock after lock_timeout instead of queueing live traffic behind its DDL.
/// </summary>
public sealed class MigrationModeTests : IAsyncLifetime
{
    private static readonly MigrationScript Table = new("0001_counter", "CREATE TABLE counter (n int)", Repeatable: false);
    private static readonly MigrationScript Column = new("0002_counter_m", "ALTER TABLE counter ADD COLUMN m int", Repeatable: false);
    private static readonly MigrationScript Function =
        new("Functions/answer", "CREATE OR REPLACE FUNCTION answer() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;", Repeatable: true);

    private string _database = "";
    private NpgsqlDataSource _dataSource = null!;

    public async Task InitializeAsync()
    {
        _database = await TestInfrastructure.CreateDatabaseAsync("migrationmode");
        _dataSource = NpgsqlDataSource.Create(TestInfrastructure.PostgresDatabase(_database));
    }

    public async Task DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await TestInfrastructure.DropDatabaseAsync(_database);
    }

    [Fact]
    public async Task Verify_waits_for_the_schema_and_lets_the_service_start_once_the_migration_step_has_run()
    {
        var service = Migrator(new() { Mode = MigrationMode.Verify, VerifyTimeout = TimeSpan.FromSeconds(30), VerifyInterval = TimeSpan.FromMilliseconds(100) },
            Table, Function);
        var start = service.StartAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(start.IsCompleted, "the service started against an empty database");

        await Migrator(new(), Table, Function).MigrateAsync(CancellationToken.None);

        await start.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Verify_never_changes_the_schema_and_refuses_to_start_while_it_is_behind()
    {
        var verify = new MigrationOptions { Mode = MigrationMode.Verify, VerifyTimeout = TimeSpan.FromSeconds(1), VerifyInterval = TimeSpan.FromMilliseconds(100) };

        var empty = await Assert.ThrowsAsync<InvalidOperationException>(() => Migrator(verify, Table).StartAsync(CancellationToken.None));
        Assert.Contains("0001_counter", empty.Message);
        Assert.False(await ExistsAsync("schema_migrations"), "Verify created schema_migrations");
        Assert.False(await ExistsAsync("counter"), "Verify applied a migration");

        // One release behind: a migration and a function's new text are missing.
        await Migrator(new(), Table, Function).MigrateAsync(CancellationToken.None);
        var changed = Function with { Sql = Function.Sql.Replace("SELECT 1", "SELECT 2", StringComparison.Ordinal) };
        var behind = await Assert.ThrowsAsync<InvalidOperationException>(() => Migrator(verify, Table, Column, changed).StartAsync(CancellationToken.None));
        Assert.Contains("0002_counter_m", behind.Message);
        Assert.Contains("Functions/answer", behind.Message);
        Assert.Equal(["0002_counter_m", "Functions/answer"], await Migrator(verify, Table, Column, changed).MissingAsync(CancellationToken.None));

        // A newer schema than the build (a rollback of the service alone) is fine: migrations are additive.
        await Migrator(new(), Table, Column, Function).MigrateAsync(CancellationToken.None);
        await Migrator(verify, Table, Function).StartAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_migration_that_waits_longer_than_lock_timeout_gives_up_and_leaves_nothing_half_applied()
    {
        await Migrator(new(), Table).MigrateAsync(CancellationToken.None);
        // Live traffic holding the table (a long read): the ALTER would wait for it, and every later query behind the ALTER.
        await using var reader = await _dataSource.OpenConnectionAsync();
        await using var tx = await reader.BeginTransactionAsync();
        await using (var read = new NpgsqlCommand("SELECT count(*) FROM counter", reader, tx)) await read.ExecuteScalarAsync();

        var options = new MigrationOptions { LockTimeout = TimeSpan.FromMilliseconds(200), LockAttempts = 1 };
        var error = await Assert.ThrowsAsync<PostgresException>(() => Migrator(options, Table, Column, Function).MigrateAsync(CancellationToken.None));
        Assert.Equal(PostgresErrorCodes.LockNotAvailable, error.SqlState);
        await tx.RollbackAsync();

        Assert.Equal(["0002_counter_m", "Functions/answer"], await Migrator(options, Table, Column, Function).MissingAsync(CancellationToken.None));
        Assert.Equal(["0002_counter_m", "Functions/answer"], await Migrator(options, Table, Column, Function).MigrateAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Replicas_migrating_together_apply_each_script_once_and_no_lock_outlives_the_run()
    {
        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Migrator(new(), Table, Column, Function).MigrateAsync(CancellationToken.None)));

        Assert.Equal(["0001_counter", "0002_counter_m", "Functions/answer"], runs.SelectMany(r => r).Order(StringComparer.Ordinal));
        // pg_advisory_xact_lock: released by the commit, nothing left on a (possibly PgBouncer-shared) session.
        await using var locks = _dataSource.CreateCommand(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
        Assert.Equal(0L, (long)(await locks.ExecuteScalarAsync())!);
    }

    private SchemaMigrator Migrator(MigrationOptions options, params MigrationScript[] scripts) =>
        new(_dataSource, scripts, "migrator-test", NullLogger<SchemaMigrator>.Instance, options);

    private async Task<bool> ExistsAsync(string table)
    {
        await using var command = _dataSource.CreateCommand($"SELECT to_regclass('{table}') IS NOT NULL");
        return (bool)(await command.ExecuteScalarAsync())!;
    }
}
