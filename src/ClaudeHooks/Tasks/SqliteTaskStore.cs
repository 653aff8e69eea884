using System.Globalization;
using ClaudeHooks.Forge;
using ClaudeHooks.Persistence;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Tasks;

internal sealed partial class SqliteTaskStore(Database database, TimeProvider clock) : ITaskStore, IForgeStore
{
    private const string Columns = "id, agent, repo, base_ref, thread, prompt, state, attempt, created_at, updated_at, outcome, timeout_seconds, cancel_requested, lease_owner, lease_expires_at, guidance_ref, performer, not_before, base_commit, image";

    public async Task CreateTaskAsync(TaskRecord task, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await InsertTaskAsync(connection, transaction, task, reason, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        OnCreated(task, reason);
    }

    private async Task InsertTaskAsync(SqliteConnection connection, SqliteTransaction transaction, TaskRecord task, string reason, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, transaction, """
            INSERT INTO tasks (id, agent, repo, base_ref, thread, prompt, state, attempt, created_at, updated_at, timeout_seconds, guidance_ref, performer, base_commit, lease_owner, lease_expires_at, image)
            VALUES ($id, $agent, $repo, $base_ref, $thread, $prompt, $state, $attempt, $at, $at, $timeout, $guidance, $performer, $base_commit, $lease_owner, $lease_expires, $image)
            """, cancellationToken,
            ("$id", task.Id), ("$agent", task.Agent), ("$repo", task.Repo), ("$base_ref", task.BaseRef), ("$thread", task.Thread),
            ("$prompt", task.Prompt), ("$state", task.State.ToName()), ("$attempt", task.Attempt), ("$at", Format(task.CreatedAt)),
            ("$timeout", task.Timeout is { } timeout ? (long)timeout.TotalSeconds : null), ("$guidance", task.GuidanceRef), ("$performer", task.Performer), ("$base_commit", task.BaseCommit),
            ("$lease_owner", task.LeaseOwner), ("$lease_expires", task.LeaseExpiresAt is { } expires ? Format(expires) : null), ("$image", task.Image));
        await InsertHistoryAsync(connection, transaction, task.Id, null, task.State, reason, cancellationToken);
    }

    public async Task<bool> RecordDeliveryAsync(string deliveryId, string eventType, string? action, string repo, byte[] body, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await ExecuteAsync(connection, null, """
            INSERT INTO webhook_deliveries (delivery_id, event, action, repo, received_at, body) VALUES ($id, $event, $action, $repo, $at, $body)
            ON CONFLICT (delivery_id) DO NOTHING
            """, cancellationToken, ("$id", deliveryId), ("$event", eventType), ("$action", action), ("$repo", repo), ("$at", Format(clock.GetUtcNow())), ("$body", body)) == 1;
    }

    public async Task<IReadOnlyList<PendingDelivery>> PendingDeliveriesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT delivery_id, event, repo, body, attempts FROM webhook_deliveries
            WHERE outcome IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= $now)
            ORDER BY received_at, rowid
            """, [("$now", Format(now))]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var pending = new List<PendingDelivery>();
        while (await reader.ReadAsync(cancellationToken))
        {
            pending.Add(new PendingDelivery(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? "" : reader.GetString(2), (byte[])reader.GetValue(3), reader.GetInt32(4)));
        }

        return pending;
    }

    public async Task CompleteDeliveryAsync(string deliveryId, string outcome, string? taskId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, """
            UPDATE webhook_deliveries SET outcome = $outcome, task_id = $task, attempts = attempts + 1, next_attempt_at = NULL WHERE delivery_id = $id
            """, cancellationToken, ("$outcome", outcome), ("$task", taskId), ("$id", deliveryId));
    }

    public async Task PostponeDeliveryAsync(string deliveryId, string error, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, """
            UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = $error, next_attempt_at = $next WHERE delivery_id = $id AND outcome IS NULL
            """, cancellationToken, ("$error", error), ("$next", Format(nextAttemptAt)), ("$id", deliveryId));
    }

    public async Task AbandonDeliveryAsync(string deliveryId, string error, string outcome, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, """
            UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = $error, next_attempt_at = NULL, outcome = $outcome, dead_at = $now
            WHERE delivery_id = $id AND outcome IS NULL
            """, cancellationToken, ("$error", error), ("$outcome", outcome), ("$now", Format(clock.GetUtcNow())), ("$id", deliveryId));
    }

    public async Task<IReadOnlyList<DeliveryRecord>> ListDeliveriesAsync(bool deadOnly, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT delivery_id, event, action, repo, received_at, attempts, last_error, next_attempt_at, outcome, task_id, dead_at FROM webhook_deliveries
            WHERE ($dead = 0 OR dead_at IS NOT NULL)
            ORDER BY received_at DESC, rowid DESC LIMIT $limit
            """, [("$dead", deadOnly ? 1 : 0), ("$limit", limit)]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var deliveries = new List<DeliveryRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            deliveries.Add(new DeliveryRecord(
                reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? "" : reader.GetString(3),
                Parse(reader.GetString(4)), reader.GetInt32(5), reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : Parse(reader.GetString(7)),
                reader.IsDBNull(8) ? null : reader.GetString(8), reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : Parse(reader.GetString(10))));
        }

        return deliveries;
    }

    public async Task<string?> QueueWorkAsync(ForgeWork work, TaskRecord task, string source, CancellationToken cancellationToken, bool retryEnded = true)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        // A key whose task failed, was cancelled or timed out may be claimed again: re-assigning retries the work.
        // The backstop does not: it sees the same assignment at every pass, and would run failing work forever.
        var claimed = await ExecuteAsync(connection, transaction, """
            INSERT INTO forge_events (semantic_key, task_id, source, created_at) VALUES ($key, NULL, $source, $at)
            ON CONFLICT (semantic_key) DO UPDATE SET task_id = NULL, source = excluded.source, created_at = excluded.created_at
            WHERE $retry = 1 AND (SELECT state FROM tasks WHERE id = forge_events.task_id) IN ('failed', 'cancelled', 'timed_out')
            """, cancellationToken, ("$key", work.SemanticKey), ("$source", source), ("$at", Format(clock.GetUtcNow())), ("$retry", retryEnded ? 1 : 0));
        if (claimed == 0)
        {
            return null;
        }

        var reason = $"queued by {source}: {work.Kind} {work.Repo}#{work.Number}";
        await InsertTaskAsync(connection, transaction, task, reason, cancellationToken);
        await ExecuteAsync(connection, transaction, "UPDATE forge_events SET task_id = $task WHERE semantic_key = $key", cancellationToken, ("$task", task.Id), ("$key", work.SemanticKey));
        await ExecuteAsync(connection, transaction, """
            INSERT INTO forge_tasks (task_id, repo, kind, number, head_sha, request, pull_number) VALUES ($task, $repo, $kind, $number, $sha, $request, $pull)
            """, cancellationToken, ("$task", task.Id), ("$repo", work.Repo), ("$kind", work.Kind), ("$number", work.Number), ("$sha", work.HeadSha), ("$request", work.Request),
            ("$pull", work.Kind is ForgeWork.Implement or ForgeWork.Mention ? null : work.Number));
        await transaction.CommitAsync(cancellationToken);
        OnCreated(task, reason);
        return task.Id;
    }

    public async Task<ForgeTask?> GetForgeTaskAsync(string taskId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT task_id, repo, kind, number, head_sha, request, pull_number, tracking_comment_id FROM forge_tasks WHERE task_id = $task", [("$task", taskId)]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ForgeTask(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetInt64(6), reader.IsDBNull(7) ? null : reader.GetInt64(7))
            : null;
    }

    public async Task SetTrackingCommentAsync(string taskId, long commentId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, "UPDATE forge_tasks SET tracking_comment_id = $comment WHERE task_id = $task", cancellationToken, ("$comment", commentId), ("$task", taskId));
    }

    public async Task SetPullAsync(string taskId, long pullNumber, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, "UPDATE forge_tasks SET pull_number = $pull WHERE task_id = $task", cancellationToken, ("$pull", pullNumber), ("$task", taskId));
    }

    public async Task<TaskRecord?> GetTaskAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await QueryTasksAsync(connection, null, $"SELECT {Columns} FROM tasks WHERE id = $id", cancellationToken, ("$id", id))).FirstOrDefault();
    }

    public async Task<IReadOnlyList<TaskRecord>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await QueryTasksAsync(connection, null, $"""
            SELECT {Columns} FROM tasks
            WHERE ($state IS NULL OR state = $state) AND ($agent IS NULL OR agent = $agent) AND ($repo IS NULL OR repo = $repo)
              AND ($before IS NULL OR (created_at, id) < ($before, $before_id))
            ORDER BY created_at DESC, id DESC
            LIMIT $limit
            """, cancellationToken,
            ("$state", query.State?.ToName()), ("$agent", query.Agent), ("$repo", query.Repo),
            ("$before", query.Before is { } before ? Format(before) : null), ("$before_id", query.BeforeId), ("$limit", query.Limit));
    }

    public async Task<TaskRecord?> NextClaimableAsync(string agent, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await QueryTasksAsync(connection, null, $"""
            SELECT {Columns} FROM tasks
            WHERE agent = $agent AND state = 'queued' AND (not_before IS NULL OR not_before <= $now)
              AND (budget_hold_until IS NULL OR budget_hold_until <= $now)
            ORDER BY created_at, id LIMIT 1
            """, cancellationToken, ("$agent", agent), ("$now", Format(now)))).FirstOrDefault();
    }

    public async Task<bool> ApplyAsync(TaskTransition transition, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var toRunning = transition.To == TaskState.Running;
        var changed = await ExecuteAsync(connection, transaction, """
            UPDATE tasks SET state = $to, updated_at = $now, outcome = COALESCE($outcome, outcome),
                attempt = attempt + $claim,
                lease_owner = $owner, lease_expires_at = $expires,
                not_before = $not_before,
                cancel_requested = CASE WHEN $to = 'running' THEN cancel_requested ELSE 0 END
            WHERE id = $id AND state = $from AND ($holder IS NULL OR lease_owner = $holder)
              AND ($expired IS NULL OR lease_expires_at IS NULL OR lease_expires_at < $expired)
            """, cancellationToken,
            ("$to", transition.To.ToName()), ("$now", Format(now)), ("$outcome", transition.OutcomeJson),
            ("$expired", transition.LeaseExpiredBy is { } expired ? Format(expired) : null),
            ("$claim", toRunning && transition.From == TaskState.Queued ? 1 : 0),
            ("$owner", toRunning ? transition.Lease?.Owner : null), ("$expires", toRunning && transition.Lease is { } lease ? Format(lease.Expires) : null),
            ("$not_before", transition.To == TaskState.Queued && transition.NotBefore is { } notBefore ? Format(notBefore) : null),
            ("$id", transition.TaskId), ("$from", transition.From.ToName()), ("$holder", transition.Holder));
        if (changed == 0)
        {
            return false;
        }

        await InsertHistoryAsync(connection, transaction, transition.TaskId, transition.From, transition.To, transition.Reason, cancellationToken);
        await InsertIntentsAsync(connection, transaction, transition.Intents, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<bool> RenewLeaseAsync(string id, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await ExecuteAsync(connection, null,
            "UPDATE tasks SET lease_expires_at = $expires WHERE id = $id AND state = 'running' AND lease_owner = $owner",
            cancellationToken, ("$expires", Format(clock.GetUtcNow() + lease)), ("$id", id), ("$owner", owner)) == 1;
    }

    public async Task<IReadOnlyList<TaskRecord>> FindAbandonedAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await QueryTasksAsync(connection, null, $"""
            SELECT {Columns} FROM tasks
            WHERE (state = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < $now)) OR state = 'interrupted'
            ORDER BY created_at, id
            """, cancellationToken, ("$now", Format(now)));
    }

    public async Task<bool> SetCancelRequestedAsync(string id, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        if (await ExecuteAsync(connection, transaction, "UPDATE tasks SET cancel_requested = 1 WHERE id = $id AND state = 'running'", cancellationToken, ("$id", id)) == 0)
        {
            return false;
        }

        await InsertHistoryAsync(connection, transaction, id, TaskState.Running, TaskState.Running, $"cancel requested: {reason}", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<QueueStats> GetQueueStatsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT agent, state, COUNT(*), MIN(created_at) FROM tasks WHERE state IN ('queued', 'running') GROUP BY agent, state
            """;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var queued = new Dictionary<string, int>(StringComparer.Ordinal);
        var running = 0;
        DateTimeOffset? oldest = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetString(1) == "queued")
            {
                queued[reader.GetString(0)] = reader.GetInt32(2);
                var created = Parse(reader.GetString(3));
                oldest = oldest is null || created < oldest ? created : oldest;
            }
            else
            {
                running += reader.GetInt32(2);
            }
        }

        return new QueueStats(queued, running, oldest is { } o ? now - o : null);
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

    public async Task<IReadOnlyList<StoredEvent>> GetEventsAsync(string taskId, long afterSeq, CancellationToken cancellationToken, int limit = int.MaxValue)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT seq, at, type, data FROM task_events WHERE task_id = $task AND seq > $after ORDER BY seq LIMIT $limit";
        query.Parameters.AddWithValue("$task", taskId);
        query.Parameters.AddWithValue("$after", afterSeq);
        query.Parameters.AddWithValue("$limit", limit);
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        var events = new List<StoredEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new StoredEvent(taskId, reader.GetInt64(0), Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3)));
        }

        return events;
    }

    public async Task<EventUsage> GetEventUsageAsync(string taskId, string markerType, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var query = Command(connection, null, """
            SELECT COALESCE(SUM(LENGTH(CAST(type AS BLOB)) + LENGTH(CAST(data AS BLOB))), 0), COALESCE(MAX(type = $marker), 0)
            FROM task_events WHERE task_id = $task
            """, [("$task", taskId), ("$marker", markerType)]);
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new EventUsage(reader.GetInt64(0), reader.GetInt64(1) != 0);
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
        await ExecuteAsync(connection, null, """
            INSERT INTO sessions (agent, repo, thread, session_id, worktree, created_at, updated_at)
            VALUES ($agent, $repo, $thread, $session, $worktree, $at, $at)
            ON CONFLICT (agent, repo, thread) DO UPDATE SET session_id = excluded.session_id, worktree = excluded.worktree, updated_at = excluded.updated_at
            """, cancellationToken,
            ("$agent", session.Agent), ("$repo", session.Repo), ("$thread", session.Thread), ("$session", session.SessionId),
            ("$worktree", session.Worktree), ("$at", Format(clock.GetUtcNow())));
    }

    public async Task<TranscriptRecord?> GetTranscriptAsync(string agent, string repo, string thread, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var query = Command(connection, null, "SELECT session_id, project_dir, data, saved_at FROM transcripts WHERE agent = $agent AND repo = $repo AND thread = $thread",
            [("$agent", agent), ("$repo", repo), ("$thread", thread)]);
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new TranscriptRecord(agent, repo, thread, reader.GetString(0), reader.GetString(1), (byte[])reader.GetValue(2), Parse(reader.GetString(3)))
            : null;
    }

    public async Task SaveTranscriptAsync(TranscriptRecord transcript, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, """
            INSERT INTO transcripts (agent, repo, thread, session_id, project_dir, data, saved_at)
            VALUES ($agent, $repo, $thread, $session, $dir, $data, $at)
            ON CONFLICT (agent, repo, thread) DO UPDATE SET session_id = excluded.session_id, project_dir = excluded.project_dir, data = excluded.data, saved_at = excluded.saved_at
            """, cancellationToken,
            ("$agent", transcript.Agent), ("$repo", transcript.Repo), ("$thread", transcript.Thread), ("$session", transcript.SessionId),
            ("$dir", transcript.ProjectDirectory), ("$data", transcript.Data), ("$at", Format(transcript.SavedAt)));
    }

    private async Task InsertHistoryAsync(SqliteConnection connection, SqliteTransaction? transaction, string id, TaskState? from, TaskState to, string reason, CancellationToken cancellationToken) =>
        await ExecuteAsync(connection, transaction, "INSERT INTO task_history (task_id, at, from_state, to_state, reason) VALUES ($id, $at, $from, $to, $reason)",
            cancellationToken, ("$id", id), ("$at", Format(clock.GetUtcNow())), ("$from", from?.ToName()), ("$to", to.ToName()), ("$reason", reason));

    private static async Task<int> ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<TaskRecord>> QueryTasksAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var tasks = new List<TaskRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tasks.Add(new TaskRecord(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4), reader.GetString(5), TaskStateNames.Parse(reader.GetString(6)), reader.GetInt32(7),
                Parse(reader.GetString(8)), Parse(reader.GetString(9)), reader.IsDBNull(10) ? null : reader.GetString(10),
                reader.IsDBNull(11) ? null : TimeSpan.FromSeconds(reader.GetInt64(11)), reader.GetInt64(12) != 0,
                reader.IsDBNull(13) ? null : reader.GetString(13), reader.IsDBNull(14) ? null : Parse(reader.GetString(14)),
                reader.IsDBNull(15) ? null : reader.GetString(15), reader.GetString(16), reader.IsDBNull(17) ? null : Parse(reader.GetString(17)),
                reader.IsDBNull(18) ? null : reader.GetString(18), reader.IsDBNull(19) ? null : reader.GetString(19)));
        }

        return tasks;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    internal static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
