using System.Globalization;
using System.Reflection;

namespace ClaudeHooks.Persistence;

/// <summary>Applies the embedded, numbered <c>Migrations/NNNN_name.sql</c> files in order, each in one transaction.</summary>
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

        var count = 0;
        foreach (var (version, name, sql) in Migrations().Where(m => !applied.Contains(m.Version)))
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
