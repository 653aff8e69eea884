using ClaudeHooks.Forge;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Tasks;

/// <summary>The forge outbox: intents written with the transitions that cause them, and the verdicts the service posted.</summary>
internal sealed partial class SqliteTaskStore
{
    private const string IntentColumns = "id, key, task_id, repo, agent, kind, payload, state, attempts, not_before, result, last_error";

    public async Task RecordIntentsAsync(IReadOnlyList<ForgeIntent> intents, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await InsertIntentsAsync(connection, transaction, intents, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<StoredIntent?> GetIntentAsync(string key, CancellationToken cancellationToken) =>
        (await QueryIntentsAsync($"SELECT {IntentColumns} FROM forge_intents WHERE key = $key", cancellationToken, ("$key", key))).FirstOrDefault();

    public async Task<IReadOnlyList<StoredIntent>> ListIntentsAsync(string taskId, CancellationToken cancellationToken) =>
        await QueryIntentsAsync($"SELECT {IntentColumns} FROM forge_intents WHERE task_id = $task ORDER BY id", cancellationToken, ("$task", taskId));

    public async Task<IReadOnlyList<StoredIntent>> DueIntentsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        // A task's writes go out in the order they were recorded (its tracking comment exists before it is edited);
        // different tasks do not wait for each other.
        await QueryIntentsAsync($"""
            SELECT {IntentColumns} FROM forge_intents i
            WHERE state = 'pending' AND (not_before IS NULL OR not_before <= $now)
              AND NOT EXISTS (SELECT 1 FROM forge_intents e WHERE e.task_id = i.task_id AND e.state = 'pending' AND e.id < i.id)
            ORDER BY id LIMIT $limit
            """, cancellationToken, ("$now", SqliteTaskStore.Format(now)), ("$limit", limit));

    public async Task<DateTimeOffset?> NextIntentDueAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT MIN(COALESCE(not_before, created_at)) FROM forge_intents i
            WHERE state = 'pending' AND NOT EXISTS (SELECT 1 FROM forge_intents e WHERE e.task_id = i.task_id AND e.state = 'pending' AND e.id < i.id)
            """, []);
        return await command.ExecuteScalarAsync(cancellationToken) is string at ? Parse(at) : null;
    }

    /// <summary>Counts an attempt before its request is sent, so that after a crash the next one asks the forge first.</summary>
    public async Task BeginIntentAttemptAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, "UPDATE forge_intents SET attempts = attempts + 1, updated_at = $now WHERE id = $id",
            cancellationToken, ("$now", Format(clock.GetUtcNow())), ("$id", id));
    }

    public async Task CompleteIntentAsync(long id, string result, IReadOnlyList<ForgeIntent> followUps, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, "UPDATE forge_intents SET state = 'done', result = $result, last_error = NULL, updated_at = $now WHERE id = $id",
            cancellationToken, ("$result", result), ("$now", Format(clock.GetUtcNow())), ("$id", id));
        await InsertIntentsAsync(connection, transaction, followUps, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Puts the intent off until <paramref name="retryAt"/>, or gives it up when that is null.</summary>
    public async Task PostponeIntentAsync(long id, string error, DateTimeOffset? retryAt, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, """
            UPDATE forge_intents SET state = CASE WHEN $retry IS NULL THEN 'failed' ELSE 'pending' END, not_before = $retry, last_error = $error, updated_at = $now
            WHERE id = $id
            """, cancellationToken, ("$retry", retryAt is { } at ? Format(at) : null), ("$error", error), ("$now", Format(clock.GetUtcNow())), ("$id", id));
    }

    public async Task SetVerdictAsync(string taskId, string verdict, long reviewId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, "UPDATE forge_tasks SET verdict = $verdict, review_id = $review WHERE task_id = $task",
            cancellationToken, ("$verdict", verdict), ("$review", reviewId), ("$task", taskId));
    }

    public async Task<ServiceVerdict?> LatestVerdictAsync(string repo, long number, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT task_id, head_sha, verdict, review_id FROM forge_tasks
            WHERE repo = $repo AND number = $number AND kind = 'review' AND review_id IS NOT NULL AND head_sha IS NOT NULL AND verdict IN ('APPROVED', 'REQUEST_CHANGES')
            ORDER BY review_id DESC LIMIT 1
            """, [("$repo", repo), ("$number", number)]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new ServiceVerdict(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)) : null;
    }

    private async Task InsertIntentsAsync(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<ForgeIntent> intents, CancellationToken cancellationToken)
    {
        var now = Format(clock.GetUtcNow());
        foreach (var intent in intents)
        {
            await ExecuteAsync(connection, transaction, """
                INSERT INTO forge_intents (key, task_id, repo, agent, kind, payload, state, created_at, updated_at)
                VALUES ($key, $task, $repo, $agent, $kind, $payload, 'pending', $now, $now)
                ON CONFLICT (key) DO NOTHING
                """, cancellationToken,
                ("$key", intent.Key), ("$task", intent.TaskId), ("$repo", intent.Repo), ("$agent", intent.Agent), ("$kind", intent.Kind), ("$payload", intent.Payload), ("$now", now));
        }
    }

    private async Task<List<StoredIntent>> QueryIntentsAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var intents = new List<StoredIntent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            intents.Add(new StoredIntent(
                reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                reader.GetString(6), reader.GetString(7), reader.GetInt32(8), reader.IsDBNull(9) ? null : Parse(reader.GetString(9)),
                reader.IsDBNull(10) ? null : reader.GetString(10), reader.IsDBNull(11) ? null : reader.GetString(11)));
        }

        return intents;
    }
}
