using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using NexRelay.ServiceDefaults.Data;
using NexRelay.Testing;
using Npgsql;

namespace NexRelay.Billing.Tests.Data;

/// <summary>
/// Ordered migrations run once; each SQL function's live definition is its file under Migrations/Functions, applied again
/// whenever that file changes (services/NexRelay.Billing/README.md, "Schema").
/// </summary>
public sealed partial class SchemaMigratorTests
{
    private static readonly MigrationScript Table = new("0001_counter", "CREATE TABLE counter (n int)", Repeatable: false);

    [Fact]
    public async Task A_function_file_is_applied_again_once_when_it_changes_and_not_while_it_is_unchanged()
    {
        var database = await TestInfrastructure.CreateDatabaseAsync("migrator");
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(TestInfrastructure.PostgresDatabase(database));
            var first = Function("SELECT 1");
            Assert.Equal(new[] { "0001_counter", "Functions/answer" }, await MigrateAsync(dataSource, Table, first));
            Assert.Equal(1, await AnswerAsync(dataSource));

            Assert.Empty(await MigrateAsync(dataSource, Table, first));

            var second = Function("SELECT 2");
            Assert.Equal(new[] { "Functions/answer" }, await MigrateAsync(dataSource, Table, second));
            Assert.Equal(2, await AnswerAsync(dataSource));
            Assert.Empty(await MigrateAsync(dataSource, Table, second));

            // An ordered migration is never applied twice, whatever its text says now (this one would fail if it were).
            Assert.Empty(await MigrateAsync(dataSource, Table with { Sql = "CREATE TABLE counter (n int, m int)" }, second));
        }
        finally
        {
            await TestInfrastructure.DropDatabaseAsync(database);
        }
    }

    [Fact]
    public async Task A_database_migrated_before_function_files_existed_takes_them_and_its_functions_equal_the_files()
    {
        var database = await TestInfrastructure.CreateDatabaseAsync("migrator");
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(TestInfrastructure.PostgresDatabase(database));
            var scripts = SchemaMigrator.ScriptsIn(typeof(Program).Assembly);
            var ordered = scripts.Where(s => !s.Repeatable).ToArray();
            var functions = scripts.Where(s => s.Repeatable).ToArray();
            Assert.NotEmpty(functions);

            // As a billing of the previous version left it: 0001–0009 applied, schema_migrations without checksums.
            await using (var connection = await dataSource.OpenConnectionAsync())
            await using (var old = new NpgsqlCommand(
                "CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", connection))
            {
                await old.ExecuteNonQueryAsync();
            }
            Assert.Equal(ordered.Select(s => s.Version).Order(StringComparer.Ordinal), await MigrateAsync(dataSource, ordered));

            Assert.Equal(functions.Select(s => s.Version).Order(StringComparer.Ordinal), await MigrateAsync(dataSource, [.. scripts]));
            Assert.Empty(await MigrateAsync(dataSource, [.. scripts]));
            await AssertFunctionsEqualFilesAsync(dataSource, functions);
        }
        finally
        {
            await TestInfrastructure.DropDatabaseAsync(database);
        }
    }

    /// <summary>
    /// Every function in the database is defined by a file, with that file's body, and every overload a file defines exists:
    /// what Migrations/Functions says is what runs. Functions an extension brings (pg_trgm's) are the extension's, not ours.
    /// </summary>
    private static async Task AssertFunctionsEqualFilesAsync(NpgsqlDataSource dataSource, IReadOnlyList<MigrationScript> functions)
    {
        var live = new List<(string Name, string Body)>();
        await using (var command = dataSource.CreateCommand(
            """
            SELECT p.proname, p.prosrc FROM pg_proc p
            WHERE p.pronamespace = 'public'::regnamespace
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
            ORDER BY 1
            """))
        await using (var rows = await command.ExecuteReaderAsync())
        {
            while (await rows.ReadAsync()) live.Add((rows.GetString(0), rows.GetString(1)));
        }
        var defined = functions.SelectMany(f => Definitions().Matches(f.Sql).Select(m =>
        {
            Assert.Equal(f.Version, "Functions/" + m.Groups["name"].Value); // one function per file, named after it
            return (Name: m.Groups["name"].Value, Body: m.Groups["body"].Value);
        })).ToList();

        Assert.Equal(live.Select(f => f.Name).Distinct().Order(), defined.Select(f => f.Name).Distinct().Order());
        foreach (var name in live.Select(f => f.Name).Distinct())
        {
            Assert.Equal(defined.Where(f => f.Name == name).Select(f => f.Body.ReplaceLineEndings("\n")).Order(StringComparer.Ordinal),
                live.Where(f => f.Name == name).Select(f => f.Body.ReplaceLineEndings("\n")).Order(StringComparer.Ordinal));
        }
    }

    [GeneratedRegex(@"CREATE OR REPLACE FUNCTION (?<name>\w+)\(.*?AS \$\$(?<body>.*?)\$\$;", RegexOptions.Singleline)]
    private static partial Regex Definitions();

    private static MigrationScript Function(string body) =>
        new("Functions/answer", $"CREATE OR REPLACE FUNCTION answer() RETURNS int LANGUAGE sql AS $$ {body} $$;", Repeatable: true);

    private static Task<IReadOnlyList<string>> MigrateAsync(NpgsqlDataSource dataSource, params MigrationScript[] scripts) =>
        new SchemaMigrator(dataSource, scripts, "migrator-test", NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);

    private static async Task<int> AnswerAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT answer()");
        return (int)(await command.ExecuteScalarAsync())!;
    }
}
