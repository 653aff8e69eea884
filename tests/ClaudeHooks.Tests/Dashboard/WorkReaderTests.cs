using ClaudeHooks.Dashboard;
using ClaudeHooks.Persistence;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class WorkReaderTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    [Fact]
    public async Task Read_ForgeTasks_CarryTheirTasksStateOutcomeDeliveryAndPullOpening()
    {
        var database = await Database.OpenAndMigrateAsync(_data.Path);
        await ExecuteAsync(database, """
            INSERT INTO tasks (id, agent, repo, thread, prompt, state, attempt, created_at, updated_at, outcome) VALUES
              ('i1', 'dev', 'https://forge.example/acme/web.git', 'issue-3', 'implement', 'succeeded', 1, '2026-11-23T09:00:00.0000000Z', '2026-11-23T09:10:00.0000000Z',
               '{"status":"succeeded","reason":"done <b>well</b>","turns":4,"cost_usd":0.1234,"duration_ms":61000,"branch":"dev/issue-3"}'),
              ('r1', 'reviewer', 'https://forge.example/acme/web.git', 'pr-7-01234567', 'review', 'running', 1, '2026-11-23T09:20:00.0000000Z', '2026-11-23T09:21:00.0000000Z', NULL),
              ('x1', 'dev', 'https://forge.example/acme/other.git', 'issue-1', 'implement', 'failed', 1, '2026-11-23T08:00:00.0000000Z', '2026-11-23T08:01:00.0000000Z', 'not json');
            INSERT INTO forge_tasks (task_id, repo, kind, number, head_sha, request, pull_number, verdict) VALUES
              ('i1', 'acme/web', 'implement', 3, NULL, NULL, 7, NULL),
              ('r1', 'acme/web', 'review', 7, '0123456789abcdef', NULL, 7, 'APPROVED'),
              ('x1', 'acme/other', 'implement', 1, NULL, NULL, NULL, NULL);
            INSERT INTO webhook_deliveries (delivery_id, event, action, repo, received_at, body, task_id, outcome) VALUES
              ('d-late', 'issue_assign', 'assigned', 'acme/web', '2026-11-23T09:05:00.0000000Z', x'7B7D', 'i1', 'queued task i1 (implement for dev)'),
              ('d-first', 'issue_assign', 'assigned', 'acme/web', '2026-11-23T08:59:00.0000000Z', x'7B7D', 'i1', 'queued task i1 (implement for dev)');
            INSERT INTO forge_intents (key, task_id, repo, agent, kind, payload, state, created_at, updated_at) VALUES
              ('open_pull:i1', 'i1', 'acme/web', 'dev', 'open_pull', '{}', 'done', '2026-11-23T09:10:00.0000000Z', '2026-11-23T09:11:00.0000000Z'),
              ('track:i1:final', 'i1', 'acme/web', 'dev', 'track', '{}', 'done', '2026-11-23T09:10:00.0000000Z', '2026-11-23T09:12:00.0000000Z');
            """);

        var rows = (await new WorkReader(database).ReadAsync(null, CancellationToken.None)).ToDictionary(r => r.TaskId);

        var implement = rows["i1"];
        Assert.Equal(("acme/web", "implement", 3L, 7L), (implement.Repo, implement.Kind, implement.Number, implement.PullNumber));
        Assert.Equal(("dev", "succeeded", "issue-3"), (implement.Agent, implement.State, implement.Thread));
        Assert.Equal(0.1234m, implement.CostUsd);
        Assert.Equal(61_000, implement.DurationMs);
        Assert.Equal("done <b>well</b>", implement.Reason);
        Assert.Equal("d-first", implement.DeliveryId);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 9, 11, 0, TimeSpan.Zero), implement.PullOpenedAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero), implement.CreatedAt);

        var review = rows["r1"];
        Assert.Equal(("APPROVED", "0123456789abcdef"), (review.Verdict, review.HeadSha));
        Assert.Null(review.CostUsd);
        Assert.Null(review.DurationMs);
        Assert.Null(review.DeliveryId);
        Assert.Null(review.PullOpenedAt);

        var unreadable = rows["x1"];
        Assert.Null(unreadable.Reason);
        Assert.Null(unreadable.CostUsd);
    }

    [Fact]
    public async Task Read_OneRepository_IgnoresCaseAndLeavesOthersOut()
    {
        var database = await Database.OpenAndMigrateAsync(_data.Path);
        await ExecuteAsync(database, """
            INSERT INTO tasks (id, agent, repo, thread, prompt, state, attempt, created_at, updated_at) VALUES
              ('a', 'dev', 'u', 'issue-1', 'p', 'queued', 0, '2026-11-23T09:00:00.0000000Z', '2026-11-23T09:00:00.0000000Z'),
              ('b', 'dev', 'u', 'issue-2', 'p', 'queued', 0, '2026-11-23T09:00:00.0000000Z', '2026-11-23T09:00:00.0000000Z');
            INSERT INTO forge_tasks (task_id, repo, kind, number) VALUES ('a', 'acme/web', 'implement', 1), ('b', 'acme/other', 'implement', 2);
            """);

        var rows = await new WorkReader(database).ReadAsync("ACME/Web", CancellationToken.None);

        Assert.Equal(["a"], rows.Select(r => r.TaskId));
    }

    [Fact]
    public async Task Read_NoForgeTasks_IsEmpty()
    {
        var database = await Database.OpenAndMigrateAsync(_data.Path);

        Assert.Empty(await new WorkReader(database).ReadAsync(null, CancellationToken.None));
    }

    private static async Task ExecuteAsync(Database database, string sql)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
