using ClaudeHooks.Persistence;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Tests.Persistence;

public sealed class DatabaseBackupTests : IDisposable
{
    private const int EventsPerTask = 20;
    private readonly TempDirectory _data = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    [Fact]
    public async Task Create_WhileAnotherConnectionWrites_CopiesOneConsistentMoment()
    {
        var database = await Database.OpenAndMigrateAsync(Path.Combine(_data.Path, "data"));
        using var stop = new CancellationTokenSource();
        var written = 0;
        var writer = Task.Run(async () =>
        {
            // Each task and its events go in one transaction, so a consistent copy holds every event of a task or none.
            await using var connection = await database.OpenAsync();
            while (!stop.IsCancellationRequested || written < 50)
            {
                await AddTaskWithEventsAsync(connection, $"task-{written}");
                written++;
            }
        });
        while (Volatile.Read(ref written) < 20)
        {
            await Task.Delay(10);
        }

        var copies = new List<DatabaseBackup>();
        for (var i = 0; i < 3; i++)
        {
            copies.Add(await DatabaseBackup.CreateAsync(database, Path.Combine(_data.Path, $"backup-{i}.db"), CancellationToken.None));
        }

        await stop.CancelAsync();
        await writer;

        var counts = new List<long>();
        foreach (var copy in copies)
        {
            Assert.Equal(new FileInfo(copy.Path).Length, copy.Bytes);
            Assert.Equal(Migrator.LatestVersion, copy.SchemaVersion);
            await using var connection = new SqliteConnection($"Data Source={copy.Path};Mode=ReadOnly;Pooling=False");
            await connection.OpenAsync();
            Assert.Equal("ok", await ScalarAsync(connection, "PRAGMA integrity_check"));
            Assert.Equal(0L, await ScalarAsync(connection, $"SELECT count(*) FROM (SELECT task_id FROM task_events GROUP BY task_id HAVING count(*) <> {EventsPerTask})"));
            Assert.Equal(0L, await ScalarAsync(connection, "SELECT count(*) FROM tasks WHERE id NOT IN (SELECT task_id FROM task_events)"));
            Assert.Equal((long)Migrator.LatestVersion, await ScalarAsync(connection, "SELECT max(version) FROM schema_migrations"));
            counts.Add((long)(await ScalarAsync(connection, "SELECT count(*) FROM tasks"))!);
        }

        Assert.All(counts, count => Assert.InRange(count, 20, written));
        Assert.Equal(counts.Order(), counts);
        Assert.Empty(Directory.GetFiles(_data.Path, "*.partial*"));
    }

    [Fact]
    public async Task Create_Copy_IsOneFileForTheOwnerOnly()
    {
        var database = await Database.OpenAndMigrateAsync(Path.Combine(_data.Path, "data"));

        var copy = await DatabaseBackup.CreateAsync(database, Path.Combine(_data.Path, "backup.db"), CancellationToken.None);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(copy.Path));
        Assert.Equal(["backup.db"], Directory.GetFiles(_data.Path).Select(f => Path.GetFileName(f)));
    }

    [Fact]
    public async Task Create_ExistingPath_IsRefusedAndLeftAlone()
    {
        var database = await Database.OpenAndMigrateAsync(Path.Combine(_data.Path, "data"));
        var existing = _data.Write("backup.db", "precious");

        var error = await Assert.ThrowsAsync<DatabaseBackupException>(() => DatabaseBackup.CreateAsync(database, existing, CancellationToken.None));

        Assert.Equal($"{existing} already exists; choose another path (a backup never replaces a file)", error.Message);
        Assert.Equal("precious", await File.ReadAllTextAsync(existing));
        Assert.Equal(["backup.db"], Directory.GetFiles(_data.Path).Select(f => Path.GetFileName(f)));
    }

    [Fact]
    public async Task Create_MissingFolder_IsRefusedWithTheFix()
    {
        var database = await Database.OpenAndMigrateAsync(Path.Combine(_data.Path, "data"));
        var target = Path.Combine(_data.Path, "nowhere", "backup.db");

        var error = await Assert.ThrowsAsync<DatabaseBackupException>(() => DatabaseBackup.CreateAsync(database, target, CancellationToken.None));

        Assert.Contains($"the folder {Path.Combine(_data.Path, "nowhere")} does not exist; create it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_SourceUnreadable_FailsAndLeavesNothing()
    {
        var data = Path.Combine(_data.Path, "data");
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, Database.FileName), new string('x', 8192));
        var backups = Path.Combine(_data.Path, "backups");
        Directory.CreateDirectory(backups);

        var error = await Assert.ThrowsAsync<DatabaseBackupException>(() => DatabaseBackup.CreateAsync(new Database(data), Path.Combine(backups, "backup.db"), CancellationToken.None));

        Assert.Contains("nothing was written", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(backups));
    }

    private static async Task AddTaskWithEventsAsync(SqliteConnection connection, string id)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO tasks (id, agent, repo, thread, prompt, state, attempt, created_at, updated_at) VALUES ($id, 'dev', 'https://forge.example/o/r.git', 't', 'p', 'succeeded', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')";
        command.Parameters.AddWithValue("$id", id);
        await command.ExecuteNonQueryAsync();
        command.CommandText = "INSERT INTO task_events (task_id, seq, at, type, data) VALUES ($id, $seq, '2026-01-01T00:00:00Z', 'assistant', $data)";
        var seq = command.Parameters.Add("$seq", SqliteType.Integer);
        command.Parameters.AddWithValue("$data", new string('e', 2048));
        for (var i = 1; i <= EventsPerTask; i++)
        {
            seq.Value = i;
            await command.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
