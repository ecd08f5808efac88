using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace NexRelay.Billing.Tests.Data;

/// <summary>
/// The services' pooled PostgreSQL connections keep their session between uses (ServiceDefaults' AddPostgresWithMigrations),
/// so PL/pgSQL plans and prepared statements outlive one settlement call instead of being discarded on every return to the pool.
/// </summary>
public sealed class ConnectionPoolTests(BillingFixture fixture) : IClassFixture<BillingFixture>
{
    [Fact]
    public async Task A_pooled_connection_keeps_its_session_and_prepares_what_runs_often()
    {
        var dataSource = fixture.Factory.Services.GetRequiredService<NpgsqlDataSource>();
        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        Assert.True(settings.NoResetOnClose);
        Assert.True(settings.MaxAutoPrepare > 0);

        // One physical connection at a time: open, mark the session, return it to the pool, take it again.
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using var mark = new NpgsqlCommand("SELECT set_config('application_name', 'pool-test-mark', false)", connection);
            await mark.ExecuteScalarAsync();
            for (var i = 0; i < 6; i++)
            {
                await using var often = new NpgsqlCommand("SELECT count(*) FROM wallets WHERE id = $1", connection);
                often.Parameters.Add(new NpgsqlParameter { Value = Guid.NewGuid() });
                await often.ExecuteScalarAsync();
            }
        }
        // Take connections from the pool (holding each, so every open hands out another) until the marked one comes back.
        var held = new List<NpgsqlConnection>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var connection = await dataSource.OpenConnectionAsync();
                held.Add(connection);
                await using var read = new NpgsqlCommand(
                    "SELECT current_setting('application_name'), (SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%FROM wallets WHERE id = $1%')",
                    connection);
                await using var reader = await read.ExecuteReaderAsync();
                Assert.True(await reader.ReadAsync());
                if (reader.GetString(0) != "pool-test-mark") continue;
                Assert.Equal(1L, reader.GetInt64(1));
                return;
            }
            Assert.Fail("The marked connection came back from the pool reset (or never came back).");
        }
        finally
        {
            foreach (var connection in held) await connection.DisposeAsync();
        }
    }
}
