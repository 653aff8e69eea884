using System.Globalization;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Dashboard;

/// <summary>
/// Reads a task's events for its transcript backwards, a page at a time: by the primary key (task, seq),
/// newest first with a limit, so a task of any length costs one page's rows.
/// </summary>
internal sealed class TranscriptReader(Database database)
{
    /// <summary>Descending on the key: SQLite walks the index from <c>$before</c> and stops after <c>$limit</c> rows.</summary>
    internal const string PageSql = "SELECT seq, at, type, data FROM task_events WHERE task_id = $task AND seq < $before ORDER BY seq DESC LIMIT $limit";

    internal const string EarlierSql = "SELECT EXISTS (SELECT 1 FROM task_events WHERE task_id = $task AND seq < $before)";

    /// <summary>
    /// The newest <paramref name="limit"/> events before <paramref name="before"/> (all when null), oldest first, and
    /// the <c>before</c> that reads the page ahead of them (null when none is left).
    /// </summary>
    public async Task<(IReadOnlyList<StoredEvent> Events, long? Earlier)> PageAsync(string taskId, long? before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var events = new List<StoredEvent>(Math.Min(limit, 1000));
        await using (var query = Command(connection, PageSql, taskId, before ?? long.MaxValue))
        {
            query.Parameters.AddWithValue("$limit", limit);
            await using var reader = await query.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                events.Add(Read(taskId, reader));
            }
        }

        events.Reverse();
        if (events.Count == 0)
        {
            return (events, null);
        }

        await using var earlier = Command(connection, EarlierSql, taskId, events[0].Seq);
        var more = Convert.ToInt64(await earlier.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) != 0;
        return (events, more ? events[0].Seq : null);
    }

    /// <summary>One event, or null when the task has none with that number.</summary>
    public async Task<StoredEvent?> EventAsync(string taskId, long seq, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT seq, at, type, data FROM task_events WHERE task_id = $task AND seq = $seq";
        query.Parameters.AddWithValue("$task", taskId);
        query.Parameters.AddWithValue("$seq", seq);
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(taskId, reader) : null;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, string taskId, long before)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$task", taskId);
        command.Parameters.AddWithValue("$before", before);
        return command;
    }

    private static StoredEvent Read(string taskId, SqliteDataReader reader) =>
        new(taskId, reader.GetInt64(0), DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal), reader.GetString(2), reader.GetString(3));
}
