using Npgsql;

namespace NexRelay.Testing;

/// <summary>
/// The real PostgreSQL, Redis and RabbitMQ that <c>./test.sh</c> starts (<c>scripts/infra.sh start test</c>), read from the
/// NEXRELAY_* variables it exports. Tests fail with a clear message when they are missing, never skip silently.
/// </summary>
public static class TestInfrastructure
{
    public static string Need(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v
        : throw new InvalidOperationException($"{name} is not set: run the tests through ./test.sh, which starts PostgreSQL, Redis and RabbitMQ.");

    public static string PostgresServer =>
        $"Host=127.0.0.1;Port={Need("NEXRELAY_PG_PORT")};Username={Environment.GetEnvironmentVariable("NEXRELAY_PG_USER") ?? "nexrelay"};Password={Need("NEXRELAY_PG_PASSWORD")}";

    public static string PostgresDatabase(string database) => $"{PostgresServer};Database={database}";

    public static string Redis => $"127.0.0.1:{Need("NEXRELAY_REDIS_PORT")},password={Need("NEXRELAY_REDIS_PASSWORD")},abortConnect=false";

    public static string RabbitMq =>
        $"amqp://{Environment.GetEnvironmentVariable("NEXRELAY_RABBITMQ_USER") ?? "nexrelay"}:{Need("NEXRELAY_RABBITMQ_PASSWORD")}@127.0.0.1:{Need("NEXRELAY_RABBITMQ_PORT")}/";

    /// <summary>Creates an empty database of its own for one test fixture, so fixtures run in parallel without sharing rows.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 60)];
        await using var connection = new NpgsqlConnection(PostgresDatabase("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return name;
    }

    public static async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(PostgresDatabase("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
