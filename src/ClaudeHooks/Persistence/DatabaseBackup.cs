using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Persistence;

/// <summary>A consistent copy of the database, made while the service runs: where it is, its size and its schema version.</summary>
internal sealed record DatabaseBackup(string Path, long Bytes, int SchemaVersion)
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Copies <paramref name="source"/> to a new file at <paramref name="destination"/>. The copy is written beside it
    /// under a temporary name, checked, and only then renamed, so a failed or interrupted backup leaves no file that
    /// looks like one; an existing file is never replaced.
    /// </summary>
    public static async Task<DatabaseBackup> CreateAsync(Database source, string destination, CancellationToken cancellationToken)
    {
        var target = System.IO.Path.GetFullPath(destination);
        if (File.Exists(target) || Directory.Exists(target))
        {
            throw new DatabaseBackupException($"{target} already exists; choose another path (a backup never replaces a file)");
        }

        var folder = System.IO.Path.GetDirectoryName(target)!;
        if (!Directory.Exists(folder))
        {
            throw new DatabaseBackupException($"the folder {folder} does not exist; create it or choose another path");
        }

        var temporary = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(target)}.{Guid.NewGuid():N}.partial");
        try
        {
            // The database holds prompts, events and transcripts: the copy is the owner's alone whatever the umask.
            // SQLite takes an empty file as an empty database.
            new FileStream(temporary, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly }).Dispose();
            int version;
            await using (var from = await source.OpenAsync(cancellationToken))
            await using (var to = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temporary, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString()))
            {
                await to.OpenAsync(cancellationToken);

                // All pages in one step, under one read transaction of the source: a snapshot of one moment, while the
                // service's writers go on (WAL readers do not block them).
                from.BackupDatabase(to);

                // A single self-contained file (no -wal beside it), checked before it takes the name.
                await ScalarAsync(to, "PRAGMA journal_mode=DELETE", cancellationToken);
                var check = await ScalarAsync(to, "PRAGMA integrity_check", cancellationToken);
                if (check != "ok")
                {
                    throw new DatabaseBackupException($"the copy of {source.FilePath} fails its integrity check ({check}), so none was kept; the database in {source.DataDirectory} may be damaged: stop the service and run 'sqlite3 {source.FilePath} \"PRAGMA integrity_check\"'");
                }

                version = await Migrator.VersionAsync(to, cancellationToken);
            }

            File.Move(temporary, target, overwrite: false);
            return new DatabaseBackup(target, new FileInfo(target).Length, version);
        }
        catch (IOException) when (File.Exists(target))
        {
            throw new DatabaseBackupException($"{target} was created by someone else while the backup ran; choose another path (a backup never replaces a file)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqliteException)
        {
            throw new DatabaseBackupException($"copying {source.FilePath} to {target} failed ({e.Message}); nothing was written: check that the folder is writable and has room");
        }
        finally
        {
            foreach (var leftover in new[] { temporary, temporary + "-journal", temporary + "-wal", temporary + "-shm" })
            {
                File.Delete(leftover);
            }
        }
    }

    private static async Task<string?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (await command.ExecuteScalarAsync(cancellationToken))?.ToString();
    }
}
