using ClaudeHooks.Agents;
using ClaudeHooks.Config;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClaudeHooks.Dashboard;

/// <summary>The overview page and its live region, which the page's script fetches again every two seconds.</summary>
internal static class OverviewPages
{
    public static async Task<IResult> PageAsync(HttpContext context, AgentsConfig config, EngineSnapshot engine, ITaskStore store, Database database, SecretRedactor redactor, ClaudeHooksPaths paths, Hosting.DiskGuard disk) =>
        DashboardPage.Render<Pages.OverviewPage>(context, "overview", new Dictionary<string, object?>
        {
            ["View"] = await BuildAsync(config, engine, store, database, redactor, context.RequestAborted, paths, disk),
        });

    public static async Task<IResult> LiveAsync(HttpContext context, AgentsConfig config, EngineSnapshot engine, ITaskStore store, Database database, SecretRedactor redactor, ClaudeHooksPaths paths, Hosting.DiskGuard disk) =>
        new RazorComponentResult<Pages.OverviewLive>(new Dictionary<string, object?>
        {
            ["View"] = await BuildAsync(config, engine, store, database, redactor, context.RequestAborted, paths, disk),
        });

    internal static async Task<OverviewView> BuildAsync(AgentsConfig config, EngineSnapshot engine, ITaskStore store, Database database, SecretRedactor redactor, CancellationToken cancellationToken, ClaudeHooksPaths? paths = null, Hosting.DiskGuard? disk = null)
    {
        var now = DateTimeOffset.UtcNow;
        var status = await engine.GetAsync(cancellationToken);
        var health = Api.HealthApi.Agents(config, status);
        var problems = LocalMode.Containerised(config).Count == 0 ? new List<string>() : [.. status.Problems];

        // What /api/health reports too: an agent whose credentials would fail every task, and a disk too full for new ones.
        if (paths is not null)
        {
            problems.AddRange(config.Agents.SelectMany(a => Api.AgentReadiness.Credentials(a, paths, TimeProvider.System)
                .Select(b => redactor.Redact($"agent {a.Name} cannot run: {b.Reason}; {b.Fix}").Text)));
        }

        if (disk?.Refusal() is { } full)
        {
            problems.Add(full);
        }
        var agents = health.Select(a => new AgentRow(a.Name, a.Role, a.Mode, a.Container, a.State, a.Health, a.Image, a.TaskSandboxes, a.WarmSandboxes)).ToList();

        QueueStats? stats = null;
        try
        {
            stats = await store.GetQueueStatsAsync(now, cancellationToken);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            problems.Add($"database {database.FilePath} cannot be read ({e.Message}); check the disk and the file's permissions");
        }

        var queues = config.Agents.Select(a => new QueueRow(a.Name, stats?.QueuedByAgent.GetValueOrDefault(a.Name) ?? 0)).ToList();

        IReadOnlyList<RunningRow> running = [];
        try
        {
            running = stats is null ? [] : await RunningAsync(database, redactor, now, cancellationToken);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            problems.Add($"the running tasks' events cannot be read ({e.Message}); check the database {database.FilePath}");
        }

        var recent = stats is null ? [] : (await store.ListTasksAsync(new TaskQuery(null, null, null, 10, null), cancellationToken)).Select(t => Row(t, redactor)).ToList();
        return new OverviewView(agents, running, queues, problems, recent, LocalMode.Of(config), LocalMode.Warning(config), stats?.OldestQueuedAge, now);
    }

    internal static TaskRow Row(TaskRecord task, SecretRedactor redactor) =>
        new(task.Id, task.Agent, redactor.Redact(task.Repo).Text, redactor.Redact(task.Thread).Text, task.State.ToName(), task.Attempt, task.CreatedAt, task.UpdatedAt, Format.Summary(redactor.Redact(task.Prompt).Text));

    /// <summary>The running tasks with the turns (distinct assistant messages) and output tokens their events show so far.</summary>
    private static async Task<IReadOnlyList<RunningRow>> RunningAsync(Database database, SecretRedactor redactor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT t.id, t.agent, t.repo, t.thread,
                   COALESCE((SELECT MAX(h.at) FROM task_history h WHERE h.task_id = t.id AND h.to_state = 'running'), t.updated_at),
                   (SELECT COUNT(*) FROM (SELECT 1 FROM task_events e WHERE e.task_id = t.id AND e.type = 'assistant' GROUP BY json_extract(e.data, '$.message.id'))),
                   (SELECT CAST(MIN(TOTAL(tokens), 9.0e15) AS INTEGER) FROM (SELECT MAX(CASE WHEN json_type(e.data, '$.message.usage.output_tokens') = 'integer'
                            AND json_extract(e.data, '$.message.usage.output_tokens') BETWEEN 0 AND 1000000000 THEN json_extract(e.data, '$.message.usage.output_tokens') ELSE 0 END) AS tokens
                        FROM task_events e WHERE e.task_id = t.id AND e.type = 'assistant' GROUP BY json_extract(e.data, '$.message.id')))
            FROM tasks t WHERE t.state = 'running' ORDER BY t.created_at, t.id
            """;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<RunningRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var started = DateTimeOffset.Parse(reader.GetString(4), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
            rows.Add(new RunningRow(reader.GetString(0), reader.GetString(1), redactor.Redact(reader.GetString(2)).Text, redactor.Redact(reader.GetString(3)).Text, now - started, reader.GetInt32(5), reader.GetInt64(6), null));
        }

        return rows;
    }
}
