using System.Globalization;
using ClaudeHooks.Persistence;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Tasks;

internal sealed class SqliteTaskStore(Database database, TimeProvider clock) : ITaskStore
{
    public async Task CreateTaskAsync(TaskRecord task, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO tasks (id, agent, repo, base_ref, thread, prompt, state, attempt, created_at, updated_at)
                VALUES ($id, $agent, $repo, $base_ref, $thread, $prompt, $state, $attempt, $at, $at)
                """;
            insert.Parameters.AddWithValue("$id", task.Id);
            insert.Parameters.AddWithValue("$agent", task.Agent);
            insert.Parameters.AddWithValue("$repo", task.Repo);
            insert.Parameters.AddWithValue("$base_ref", (object?)task.BaseRef ?? DBNull.Value);
            insert.Parameters.AddWithValue("$thread", task.Thread);
            insert.Parameters.AddWithValue("$prompt", task.Prompt);
            insert.Parameters.AddWithValue("$state", task.State.ToName());
            insert.Parameters.AddWithValue("$attempt", task.Attempt);
            insert.Parameters.AddWithValue("$at", Format(task.CreatedAt));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await InsertHistoryAsync(connection, transaction, task.Id, null, task.State, reason, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<TaskRecord?> GetTaskAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT id, agent, repo, base_ref, thread, prompt, state, attempt, created_at, updated_at, outcome FROM tasks WHERE id = $id";
        query.Parameters.AddWithValue("$id", id);
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new TaskRecord(
            reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.GetString(4), reader.GetString(5), TaskStateNames.Parse(reader.GetString(6)), reader.GetInt32(7),
            Parse(reader.GetString(8)), Parse(reader.GetString(9)), reader.IsDBNull(10) ? null : reader.GetString(10));
    }

    public async Task<bool> TransitionAsync(string id, TaskState from, TaskState to, string reason, string? outcomeJson, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var update = connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = """
                UPDATE tasks SET state = $to, updated_at = $at, outcome = COALESCE($outcome, outcome)
                WHERE id = $id AND state = $from
                """;
            update.Parameters.AddWithValue("$id", id);
            update.Parameters.AddWithValue("$from", from.ToName());
            update.Parameters.AddWithValue("$to", to.ToName());
            update.Parameters.AddWithValue("$at", Format(clock.GetUtcNow()));
            update.Parameters.AddWithValue("$outcome", (object?)outcomeJson ?? DBNull.Value);
            if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false;
            }
        }

        await InsertHistoryAsync(connection, transaction, id, from, to, reason, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task AddHistoryNoteAsync(string id, string reason, CancellationToken cancellationToken)
    {
        var task = await GetTaskAsync(id, cancellationToken) ?? throw new InvalidOperationException($"task {id} does not exist");
        await using var connection = await database.OpenAsync(cancellationToken);
        await InsertHistoryAsync(connection, null, id, task.State, task.State, reason, cancellationToken);
    }

    public async Task<IReadOnlyList<TaskHistoryEntry>> GetHistoryAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT at, from_state, to_state, reason FROM task_history WHERE task_id = $id ORDER BY id";
        query.Parameters.AddWithValue("$id", id);
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        var entries = new List<TaskHistoryEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new TaskHistoryEntry(Parse(reader.GetString(0)), reader.IsDBNull(1) ? null : TaskStateNames.Parse(reader.GetString(1)), TaskStateNames.Parse(reader.GetString(2)), reader.GetString(3)));
        }

        return entries;
    }

    public async Task<StoredEvent> AppendEventAsync(string taskId, string type, string data, CancellationToken cancellationToken)
    {
        var at = clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO task_events (task_id, seq, at, type, data)
            VALUES ($task, (SELECT COALESCE(MAX(seq), 0) + 1 FROM task_events WHERE task_id = $task), $at, $type, $data)
            RETURNING seq
            """;
        insert.Parameters.AddWithValue("$task", taskId);
        insert.Parameters.AddWithValue("$at", Format(at));
        insert.Parameters.AddWithValue("$type", type);
        insert.Parameters.AddWithValue("$data", data);
        var seq = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
        return new StoredEvent(taskId, seq, at, type, data);
    }

    public async Task<IReadOnlyList<StoredEvent>> GetEventsAsync(string taskId, long afterSeq, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT seq, at, type, data FROM task_events WHERE task_id = $task AND seq > $after ORDER BY seq";
        query.Parameters.AddWithValue("$task", taskId);
        query.Parameters.AddWithValue("$after", afterSeq);
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        var events = new List<StoredEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new StoredEvent(taskId, reader.GetInt64(0), Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3)));
        }

        return events;
    }

    public async Task<SessionRecord?> GetSessionAsync(string agent, string repo, string thread, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT session_id, worktree FROM sessions WHERE agent = $agent AND repo = $repo AND thread = $thread";
        query.Parameters.AddWithValue("$agent", agent);
        query.Parameters.AddWithValue("$repo", repo);
        query.Parameters.AddWithValue("$thread", thread);
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new SessionRecord(agent, repo, thread, reader.GetString(0), reader.GetString(1)) : null;
    }

    public async Task SaveSessionAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var upsert = connection.CreateCommand();
        upsert.CommandText = """
            INSERT INTO sessions (agent, repo, thread, session_id, worktree, created_at, updated_at)
            VALUES ($agent, $repo, $thread, $session, $worktree, $at, $at)
            ON CONFLICT (agent, repo, thread) DO UPDATE SET session_id = excluded.session_id, worktree = excluded.worktree, updated_at = excluded.updated_at
            """;
        upsert.Parameters.AddWithValue("$agent", session.Agent);
        upsert.Parameters.AddWithValue("$repo", session.Repo);
        upsert.Parameters.AddWithValue("$thread", session.Thread);
        upsert.Parameters.AddWithValue("$session", session.SessionId);
        upsert.Parameters.AddWithValue("$worktree", session.Worktree);
        upsert.Parameters.AddWithValue("$at", Format(clock.GetUtcNow()));
        await upsert.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task InsertHistoryAsync(SqliteConnection connection, SqliteTransaction? transaction, string id, TaskState? from, TaskState to, string reason, CancellationToken cancellationToken)
    {
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO task_history (task_id, at, from_state, to_state, reason) VALUES ($id, $at, $from, $to, $reason)";
        insert.Parameters.AddWithValue("$id", id);
        insert.Parameters.AddWithValue("$at", Format(clock.GetUtcNow()));
        insert.Parameters.AddWithValue("$from", from is { } state ? state.ToName() : DBNull.Value);
        insert.Parameters.AddWithValue("$to", to.ToName());
        insert.Parameters.AddWithValue("$reason", reason);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
