using ClaudeHooks.Dashboard;
using ClaudeHooks.Persistence;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class DeliveryReaderTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    [Fact]
    public async Task List_Deliveries_AreNewestFirstWithEveryField()
    {
        var database = await SeededAsync();

        var deliveries = await new DeliveryReader(database).ListAsync(deadOnly: false, 10, CancellationToken.None);

        Assert.Equal(["d3", "d2", "d1"], deliveries.Select(d => d.DeliveryId));
        var dead = deliveries[0];
        Assert.Equal(("pull_request_comment", "created", "acme/web", 6), (dead.EventType, dead.Action, dead.Repo, dead.Attempts));
        Assert.Equal("forge unreachable", dead.LastError);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 11, 0, 0, TimeSpan.Zero), dead.DeadAt);
        var queued = deliveries[2];
        Assert.Equal(("t1", "queued task t1 (implement for dev)"), (queued.TaskId, queued.Outcome));
        Assert.Null(deliveries[1].Outcome);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 10, 5, 0, TimeSpan.Zero), deliveries[1].NextAttemptAt);
    }

    [Fact]
    public async Task List_DeadOnlyAndLimit_SelectTheGivenUpAndTheNewest()
    {
        var database = await SeededAsync();
        var reader = new DeliveryReader(database);

        Assert.Equal(["d3"], (await reader.ListAsync(deadOnly: true, 10, CancellationToken.None)).Select(d => d.DeliveryId));
        Assert.Equal(["d3", "d2"], (await reader.ListAsync(deadOnly: false, 2, CancellationToken.None)).Select(d => d.DeliveryId));
    }

    [Fact]
    public async Task Find_KnownAndUnknownId_ReturnsItOrNull()
    {
        var reader = new DeliveryReader(await SeededAsync());

        Assert.Equal("issue_assign", (await reader.FindAsync("d1", CancellationToken.None))?.EventType);
        Assert.Null(await reader.FindAsync("nope", CancellationToken.None));
    }

    private async Task<Database> SeededAsync()
    {
        var database = await Database.OpenAndMigrateAsync(_data.Path);
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO tasks (id, agent, repo, thread, prompt, state, attempt, created_at, updated_at) VALUES
              ('t1', 'dev', 'u', 'issue-1', 'p', 'queued', 0, '2026-11-23T09:00:00.0000000Z', '2026-11-23T09:00:00.0000000Z');
            INSERT INTO webhook_deliveries (delivery_id, event, action, repo, received_at, body, task_id, outcome, attempts, last_error, next_attempt_at, dead_at) VALUES
              ('d1', 'issue_assign', 'assigned', 'acme/web', '2026-11-23T09:00:00.0000000Z', x'7B7D', 't1', 'queued task t1 (implement for dev)', 1, NULL, NULL, NULL),
              ('d2', 'issue_assign', 'assigned', 'acme/web', '2026-11-23T10:00:00.0000000Z', x'7B7D', NULL, NULL, 1, 'forge said 502', '2026-11-23T10:05:00.0000000Z', NULL),
              ('d3', 'pull_request_comment', 'created', 'acme/web', '2026-11-23T10:30:00.0000000Z', x'7B7D', NULL, 'dead: forge unreachable after 6 attempts', 6, 'forge unreachable', NULL, '2026-11-23T11:00:00.0000000Z');
            """;
        await command.ExecuteNonQueryAsync();
        return database;
    }
}
