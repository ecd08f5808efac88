using Npgsql;

namespace NexRelay.Testing;

/// <summary>
/// One service's database down, the rest of the shared PostgreSQL server up: the database refuses new connections and its
/// open sessions are terminated, as a restart would, until <see cref="EndAsync"/>. Connections fail with PostgreSQL's own
/// errors (57P01 on a terminated session, 55000 on a new one), which is what a service sees of a database that is down.
/// </summary>
public sealed class DatabaseOutage : IAsyncDisposable
{
    private readonly string _database;
    private bool _ended;

    private DatabaseOutage(string database) => _database = database;

    public static async Task<DatabaseOutage> StartAsync(string database)
    {
        await ExecuteAsync($"ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS false");
        await ExecuteAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()");
        return new DatabaseOutage(database);
    }

    /// <summary>Accepts connections again; returns the server's clock just before (nothing of the database ran after it while down).</summary>
    public async Task<DateTime> EndAsync()
    {
        _ended = true;
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresDatabase("postgres"));
        await connection.OpenAsync();
        DateTime back;
        await using (var clock = new NpgsqlCommand("SELECT clock_timestamp()", connection)) back = (DateTime)(await clock.ExecuteScalarAsync())!;
        await using (var allow = new NpgsqlCommand($"ALTER DATABASE \"{_database}\" ALLOW_CONNECTIONS true", connection)) await allow.ExecuteNonQueryAsync();
        // The test's own pooled connections to the database were terminated too.
        NpgsqlConnection.ClearAllPools();
        return back;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_ended) await EndAsync();
    }

    private static async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresDatabase("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
