using ClaudeHooks.Persistence;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Tests.Persistence;

public sealed class MigratorTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    [Fact]
    public async Task Apply_FreshDatabase_ReachesTheLatestVersionAndIsIdempotent()
    {
        var database = new Database(_data.Path);

        Assert.True(await Migrator.ApplyAsync(database, CancellationToken.None) > 0);
        Assert.Equal(0, await Migrator.ApplyAsync(database, CancellationToken.None));
        await using var connection = await database.OpenAsync();
        Assert.Equal(Migrator.LatestVersion, await Migrator.VersionAsync(connection, CancellationToken.None));
    }

    [Fact]
    public async Task Apply_SchemaNewerThanThisBuild_RefusesNamingTheDirectoryBothVersionsAndTheFix()
    {
        var database = await Database.OpenAndMigrateAsync(_data.Path);
        var newer = Migrator.LatestVersion + 1;
        await using (var connection = await database.OpenAsync())
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = $"INSERT INTO schema_migrations (version, name, applied_at) VALUES ({newer}, '{newer:D4}_from_a_newer_build', '2030-01-01T00:00:00Z')";
            await command.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<SchemaTooNewException>(() => Migrator.ApplyAsync(database, CancellationToken.None));

        Assert.Equal((newer, Migrator.LatestVersion), (error.DatabaseVersion, error.BuildVersion));
        Assert.Contains($"the database in {_data.Path} has schema version {newer}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"(version {Migrator.LatestVersion})", error.Message, StringComparison.Ordinal);
        Assert.Contains("run the newer claude-hooks", error.Message, StringComparison.Ordinal);
        Assert.Contains("'claude-hooks db backup'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task Apply_SchemaNewerThanThisBuild_AppliesNothing()
    {
        var database = new Database(_data.Path);
        await using (var connection = await database.OpenAsync())
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
                INSERT INTO schema_migrations VALUES (9999, '9999_future', '2030-01-01T00:00:00Z');
                """;
            await command.ExecuteNonQueryAsync();
        }

        await Assert.ThrowsAsync<SchemaTooNewException>(() => Migrator.ApplyAsync(database, CancellationToken.None));

        await using var check = await database.OpenAsync();
        await using var tables = check.CreateCommand();
        tables.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tasks'";
        Assert.Equal(0L, await tables.ExecuteScalarAsync());
    }
}
