using System.Globalization;
using System.Reflection;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Persistence;

/// <summary>
/// Applies the embedded, numbered <c>Migrations/NNNN_name.sql</c> files in order, each in one transaction; refuses a
/// database a newer build has migrated (<see cref="SchemaTooNewException"/>).
/// </summary>
internal static class Migrator
{
    public static async Task<int> ApplyAsync(Database database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var applied = new HashSet<int>();
        await using (var query = connection.CreateCommand())
        {
            query.CommandText = "SELECT version FROM schema_migrations";
            await using var reader = await query.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        // A newer build's migrations may have changed what this one reads and writes; refuse before touching anything.
        var migrations = Migrations().ToList();
        var latest = migrations.Max(m => m.Version);
        if (applied.Count > 0 && applied.Max() > latest)
        {
            throw new SchemaTooNewException(database.DataDirectory, applied.Max(), latest);
        }

        var count = 0;
        foreach (var (version, name, sql) in migrations.Where(m => !applied.Contains(m.Version)))
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = sql + "\nINSERT INTO schema_migrations (version, name, applied_at) VALUES ($version, $name, $at);";
            command.Parameters.AddWithValue("$version", version);
            command.Parameters.AddWithValue("$name", name);
            command.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            await command.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            count++;
        }

        return count;
    }

    /// <summary>The highest migration embedded in this build: the schema version it writes.</summary>
    public static int LatestVersion => Migrations().Max(m => m.Version);

    /// <summary>The highest migration applied to the database behind <paramref name="connection"/>; 0 before any.</summary>
    public static async Task<int> VersionAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
        if (await command.ExecuteScalarAsync(cancellationToken) is null)
        {
            return 0;
        }

        command.CommandText = "SELECT coalesce(max(version), 0) FROM schema_migrations";
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    private static IEnumerable<(int Version, string Name, string Sql)> Migrations()
    {
        var assembly = Assembly.GetExecutingAssembly();
        const string marker = ".Migrations.";
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.Contains(marker, StringComparison.Ordinal) && r.EndsWith(".sql", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var name = resource[(resource.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..^4];
            var version = int.Parse(name[..name.IndexOf('_', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            yield return (version, name, reader.ReadToEnd());
        }
    }
}
