using System.Globalization;
using System.Text.RegularExpressions;
using ClaudeHooks.Persistence;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Tasks;

/// <summary>
/// The spend the gateway measured, per task and UTC day, and the budget holds of queued tasks: what the daily caps
/// are checked against, before a task is claimed and after every model response while it runs.
/// </summary>
internal sealed partial class BudgetLedger(Database database)
{
    public static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The next 00:00 UTC after <paramref name="at"/>: when a day's caps free.</summary>
    public static DateTimeOffset NextDay(DateTimeOffset at) => new(at.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);

    public async Task RecordAsync(string taskId, string agent, string repositoryKey, DateTimeOffset at, BudgetUsage usage, decimal usd, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, """
            INSERT INTO task_spend (task_id, day, agent, repo_key, usd, requests, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens)
            VALUES ($task, $day, $agent, $repo, $usd, 1, $input, $output, $creation, $read)
            ON CONFLICT (task_id, day) DO UPDATE SET usd = usd + excluded.usd, requests = requests + 1,
                input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
                cache_creation_tokens = cache_creation_tokens + excluded.cache_creation_tokens, cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens
            """, ("$task", taskId), ("$day", Day(at)), ("$agent", agent), ("$repo", repositoryKey), ("$usd", (double)usd),
            ("$input", usage.InputTokens), ("$output", usage.OutputTokens), ("$creation", usage.CacheCreationTokens), ("$read", usage.CacheReadTokens));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<decimal> AgentSpentAsync(string agent, string day, CancellationToken cancellationToken) =>
        await SumAsync("SELECT COALESCE(SUM(usd), 0) FROM task_spend WHERE day = $day AND agent = $who", day, agent, cancellationToken);

    public async Task<decimal> RepositorySpentAsync(string repositoryKey, string day, CancellationToken cancellationToken) =>
        await SumAsync("SELECT COALESCE(SUM(usd), 0) FROM task_spend WHERE day = $day AND repo_key = $who COLLATE NOCASE", day, repositoryKey, cancellationToken);

    /// <summary>What each task of <paramref name="taskIds"/> spent over all its days (tasks that spent nothing are left out).</summary>
    public async Task<IReadOnlyDictionary<string, BudgetSpend>> TaskSpendAsync(IReadOnlyCollection<string> taskIds, CancellationToken cancellationToken)
    {
        var spend = new Dictionary<string, BudgetSpend>(StringComparer.Ordinal);
        if (taskIds.Count == 0)
        {
            return spend;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var names = taskIds.Select((id, i) =>
        {
            command.Parameters.AddWithValue($"$t{i}", id);
            return $"$t{i}";
        }).ToList();
        command.CommandText = $"""
            SELECT task_id, SUM(usd), SUM(requests), SUM(input_tokens), SUM(output_tokens), SUM(cache_creation_tokens), SUM(cache_read_tokens)
            FROM task_spend WHERE task_id IN ({string.Join(", ", names)}) GROUP BY task_id
            """;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            spend[reader.GetString(0)] = Spend(reader, 1);
        }

        return spend;
    }

    /// <summary>A day's spend by agent and by repository key.</summary>
    public async Task<(IReadOnlyDictionary<string, BudgetSpend> Agents, IReadOnlyDictionary<string, BudgetSpend> Repositories)> DayAsync(string day, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await GroupAsync(connection, "agent", day, cancellationToken), await GroupAsync(connection, "repo_key", day, cancellationToken));
    }

    /// <summary>The pull request a task works on (see <see cref="BudgetPullRequest"/>), or null.</summary>
    public async Task<BudgetPullRequest?> PullRequestOfAsync(TaskRecord task, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, "SELECT repo, pull_number, kind, number FROM forge_tasks WHERE task_id = $task", ("$task", task.Id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (await reader.ReadAsync(cancellationToken))
        {
            if (!reader.IsDBNull(1))
            {
                return new BudgetPullRequest(reader.GetString(0), reader.GetInt64(1), Forge: true);
            }

            // A mention records no pull request of its own, but one on a pull request (any thread but the issue's)
            // is work on it: a bot answering the agent's comments is the loop this breaks.
            var mentioned = reader.GetInt64(3);
            return reader.GetString(2) == Forge.ForgeWork.Mention && task.Thread != string.Create(CultureInfo.InvariantCulture, $"issue-{mentioned}")
                ? new BudgetPullRequest(reader.GetString(0), mentioned, Forge: true)
                : null;
        }

        return PullThread().Match(task.Thread) is { Success: true } match && long.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, out var number)
            ? new BudgetPullRequest(task.Repo, number, Forge: false)
            : null;
    }

    /// <summary>How many other tasks of the pull request, created since <paramref name="since"/>, were claimed to run at least once.</summary>
    public async Task<int> PullRequestTasksAsync(string taskId, BudgetPullRequest pull, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, pull.Forge
            ? """
              SELECT COUNT(*) FROM tasks t JOIN forge_tasks f ON f.task_id = t.id
              WHERE f.repo = $repo AND t.id <> $task AND t.attempt > 0 AND t.created_at >= $since
                AND (f.pull_number = $number OR (f.kind = 'mention' AND f.pull_number IS NULL AND f.number = $number AND t.thread <> $issue))
              """
            : """
              SELECT COUNT(*) FROM tasks t
              WHERE t.repo = $repo AND t.thread = $thread AND t.id <> $task AND t.attempt > 0 AND t.created_at >= $since
                AND NOT EXISTS (SELECT 1 FROM forge_tasks f WHERE f.task_id = t.id)
              """,
            ("$repo", pull.Repository), ("$number", pull.Number), ("$thread", $"pr-{pull.Number.ToString(CultureInfo.InvariantCulture)}"), ("$issue", $"issue-{pull.Number.ToString(CultureInfo.InvariantCulture)}"), ("$task", taskId), ("$since", SqliteTaskStore.Format(since)));
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>Holds a queued task until <see cref="BudgetHold.Until"/>; true when the hold is new (another cap or another day), so it is told once.</summary>
    public async Task<bool> HoldAsync(string taskId, BudgetHold hold, CancellationToken cancellationToken)
    {
        // The key carries the day, so a hold survives a restart's release without being told again, and a new day's is told anew.
        var key = $"{hold.ConfigKey}@{Day(hold.Until.AddDays(-1))}";
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var before = Command(connection, "SELECT budget_hold_key FROM tasks WHERE id = $task AND state = 'queued'", ("$task", taskId));
        before.Transaction = transaction;
        var previous = await before.ExecuteScalarAsync(cancellationToken);
        await using var command = Command(connection, """
            UPDATE tasks SET budget_hold = $reason, budget_hold_key = $key, budget_hold_until = $until WHERE id = $task AND state = 'queued'
            """, ("$reason", hold.Reason), ("$key", key), ("$until", SqliteTaskStore.Format(hold.Until)), ("$task", taskId));
        command.Transaction = transaction;
        var changed = await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        await transaction.CommitAsync(cancellationToken);
        return changed && previous as string != key;
    }

    public async Task ClearHoldAsync(string taskId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, "UPDATE tasks SET budget_hold = NULL, budget_hold_key = NULL, budget_hold_until = NULL WHERE id = $task AND budget_hold_key IS NOT NULL", ("$task", taskId));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Lets every held task be checked again (at start-up: the caps may have changed with the config).</summary>
    public async Task ReleaseHoldsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, "UPDATE tasks SET budget_hold_until = NULL WHERE budget_hold_until IS NOT NULL");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The hold of a task still queued, or null.</summary>
    public async Task<BudgetHold?> HoldOfAsync(string taskId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, "SELECT budget_hold_key, budget_hold, budget_hold_until FROM tasks WHERE id = $task AND state = 'queued' AND budget_hold IS NOT NULL", ("$task", taskId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new BudgetHold(reader.GetString(0).Split('@')[0], reader.GetString(1), reader.IsDBNull(2) ? DateTimeOffset.MinValue : DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal))
            : null;
    }

    private async Task<decimal> SumAsync(string sql, string day, string who, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, sql, ("$day", day), ("$who", who));
        return Convert.ToDecimal(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    private static async Task<IReadOnlyDictionary<string, BudgetSpend>> GroupAsync(SqliteConnection connection, string column, string day, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, $"""
            SELECT {column}, SUM(usd), SUM(requests), SUM(input_tokens), SUM(output_tokens), SUM(cache_creation_tokens), SUM(cache_read_tokens)
            FROM task_spend WHERE day = $day GROUP BY {column} ORDER BY {column}
            """, ("$day", day));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var spend = new Dictionary<string, BudgetSpend>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            spend[reader.GetString(0)] = Spend(reader, 1);
        }

        return spend;
    }

    private static BudgetSpend Spend(SqliteDataReader reader, int first) => new(
        Math.Round((decimal)reader.GetDouble(first), 6), reader.GetInt64(first + 1), reader.GetInt64(first + 2), reader.GetInt64(first + 3), reader.GetInt64(first + 4), reader.GetInt64(first + 5));

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    [GeneratedRegex(@"^pr-([0-9]{1,12})$")]
    private static partial Regex PullThread();
}
