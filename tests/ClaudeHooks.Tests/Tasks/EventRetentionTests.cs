using ClaudeHooks.Config;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Tests.Tasks;

public sealed class EventRetentionTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Old = TimeSpan.FromDays(11);
    private static readonly TimeSpan Recent = TimeSpan.FromDays(9);
    private readonly TempDirectory _data = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    [Fact]
    public async Task Purge_EndedLongAgo_DeletesEventsAndEmptiesBodiesButKeepsTasksAndDeliveries()
    {
        var database = await Database.OpenAndMigrateAsync(Path.Combine(_data.Path, "db"));
        await using var connection = await database.OpenAsync();
        foreach (var state in new[] { "succeeded", "failed", "cancelled", "timed_out" })
        {
            await AddTaskAsync(connection, $"old-{state}", state, Old, events: 3);
            await AddDeliveryAsync(connection, $"d-old-{state}", $"old-{state}", "queued", Old);
        }

        await AddTaskAsync(connection, "recent", "succeeded", Recent, events: 2);
        await AddDeliveryAsync(connection, "d-recent", "recent", "queued", Old);

        var (events, bodies) = await Retention(database).PurgeAsync(CancellationToken.None);

        Assert.Equal((12L, 4L), (events, bodies));
        Assert.Equal(2, await ScalarAsync(connection, "SELECT count(*) FROM task_events"));
        Assert.Equal(2, await ScalarAsync(connection, "SELECT count(*) FROM task_events WHERE task_id = 'recent'"));
        Assert.Equal(5, await ScalarAsync(connection, "SELECT count(*) FROM tasks"));
        Assert.Equal(5, await ScalarAsync(connection, "SELECT count(*) FROM task_history"));
        Assert.Equal(5, await ScalarAsync(connection, "SELECT count(*) FROM webhook_deliveries WHERE outcome = 'queued'"));
        Assert.Equal(4, await ScalarAsync(connection, "SELECT count(*) FROM webhook_deliveries WHERE body = X'' AND typeof(body) = 'blob'"));
        Assert.Equal(1, await ScalarAsync(connection, "SELECT count(*) FROM webhook_deliveries WHERE delivery_id = 'd-recent' AND length(body) > 0"));
    }

    [Theory]
    [InlineData("running")]
    [InlineData("queued")]
    [InlineData("interrupted")]
    public async Task Purge_TaskNotEnded_KeepsEverythingWhateverItsAge(string state)
    {
        var database = await Database.OpenAndMigrateAsync(Path.Combine(_data.Path, "db"));
        await using var connection = await database.OpenAsync();
        await AddTaskAsync(connection, "live", state, Old, events: 3);
        await AddDeliveryAsync(connection, "d-live", "live", "queued", Old);

        Assert.Equal((0L, 0L), await Retention(database).PurgeAsync(CancellationToken.None));
        Assert.Equal(3, await ScalarAsync(connection, "SELECT count(*) FROM task_events"));
        Assert.Equal(1, await ScalarAsync(connection, "SELECT count(*) FROM webhook_deliveries WHERE length(body) > 0"));
    }

    [Fact]
    public async Task Purge_DeliveryWithoutTask_EmptiesOnlyOldHandledOnes()
    {
        var database = await Database.OpenAndMigrateAsync(Path.Combine(_data.Path, "db"));
        await using var connection = await database.OpenAsync();
        await AddDeliveryAsync(connection, "ignored-old", null, "ignored: sent by an agent account", Old);
        await AddDeliveryAsync(connection, "ignored-recent", null, "ignored: sent by an agent account", Recent);

        // Stored before a crash and not handled yet: the dispatcher reads its body at the next start.
        await AddDeliveryAsync(connection, "pending-old", null, null, Old);

        Assert.Equal((0L, 1L), await Retention(database).PurgeAsync(CancellationToken.None));
        Assert.Equal(0, await ScalarAsync(connection, "SELECT length(body) FROM webhook_deliveries WHERE delivery_id = 'ignored-old'"));
        Assert.Equal(3, await ScalarAsync(connection, "SELECT count(*) FROM webhook_deliveries"));
        Assert.Equal(2, await ScalarAsync(connection, "SELECT count(*) FROM webhook_deliveries WHERE length(body) > 0"));
    }

    [Fact]
    public async Task Purge_MoreThanABatch_TakesEveryBatchAndIsANoOpTheSecondTime()
    {
        var database = await Database.OpenAndMigrateAsync(Path.Combine(_data.Path, "db"));
        await using var connection = await database.OpenAsync();
        for (var i = 0; i < 4; i++)
        {
            await AddTaskAsync(connection, $"t{i}", "succeeded", Old, events: 5);
            await AddDeliveryAsync(connection, $"d{i}", $"t{i}", "queued", Old);
        }

        var retention = Retention(database, batchSize: 3);
        Assert.Equal((20L, 4L), await retention.PurgeAsync(CancellationToken.None));
        Assert.Equal((0L, 0L), await retention.PurgeAsync(CancellationToken.None));
        Assert.Equal(0, await ScalarAsync(connection, "SELECT count(*) FROM task_events"));
    }

    private static EventRetention Retention(Database database, int batchSize = 1_000) => new(
        database,
        ConfigLoader.Parse("/etc/claude-hooks/agents.json", """
            { "service": { "event_retention": "10d" }, "agents": { "dev": { "role": "dev", "forge_user": "d" } } }
            """, new ClaudeHooksPaths("/nonexistent")),
        new ManualClock(Now),
        new ListLogger<EventRetention>())
    {
        BatchSize = batchSize,
        BatchPause = TimeSpan.Zero,
    };

    private static async Task AddTaskAsync(SqliteConnection connection, string id, string state, TimeSpan endedAgo, int events)
    {
        var ended = SqliteTaskStore.Format(Now - endedAgo);
        var created = SqliteTaskStore.Format(Now - endedAgo - TimeSpan.FromHours(1));
        await ExecuteAsync(connection, """
            INSERT INTO tasks (id, agent, repo, thread, prompt, state, attempt, created_at, updated_at) VALUES ($id, 'dev', 'https://forge.example/o/r.git', 'issue-1', 'do it', $state, 1, $created, $ended);
            INSERT INTO task_history (task_id, at, from_state, to_state, reason) VALUES ($id, $ended, 'running', $state, 'done');
            """, ("$id", id), ("$state", state), ("$created", created), ("$ended", ended));
        for (var seq = 1; seq <= events; seq++)
        {
            await ExecuteAsync(connection, "INSERT INTO task_events (task_id, seq, at, type, data) VALUES ($id, $seq, $at, 'assistant', '{}')", ("$id", id), ("$seq", seq), ("$at", created));
        }
    }

    private static Task AddDeliveryAsync(SqliteConnection connection, string id, string? task, string? outcome, TimeSpan receivedAgo) => ExecuteAsync(
        connection,
        "INSERT INTO webhook_deliveries (delivery_id, event, repo, received_at, body, task_id, outcome) VALUES ($id, 'issues', 'o/r', $at, $body, $task, $outcome)",
        ("$id", id), ("$at", SqliteTaskStore.Format(Now - receivedAgo)), ("$body", "{\"action\":\"assigned\"}"u8.ToArray()), ("$task", task), ("$outcome", outcome));

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
