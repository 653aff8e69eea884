using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Tasks;

public sealed class SqliteTaskStoreTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    [Fact]
    public async Task OpenAndMigrate_Twice_AppliesOnceWithDurableSettings()
    {
        var database = await Database.OpenAndMigrateAsync(_data.Path);

        Assert.Equal(0, await Migrator.ApplyAsync(database, CancellationToken.None));
        await using var connection = await database.OpenAsync();
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA journal_mode; PRAGMA synchronous;";
        await using var reader = await pragma.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("wal", reader.GetString(0));
        Assert.True(await reader.NextResultAsync() && await reader.ReadAsync());
        Assert.Equal(2, reader.GetInt32(0));
    }

    [Fact]
    public async Task Transition_OnlyFromTheExpectedState_WritesHistory()
    {
        var store = await StoreAsync();
        await store.CreateTaskAsync(NewTask("a"), "submitted", CancellationToken.None);

        var lease = ("w", DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.True(await store.ApplyAsync(new TaskTransition("a", TaskState.Queued, TaskState.Running, "claimed") { Lease = lease }, CancellationToken.None));
        Assert.False(await store.ApplyAsync(new TaskTransition("a", TaskState.Queued, TaskState.Running, "claimed twice") { Lease = lease }, CancellationToken.None));
        Assert.False(await store.ApplyAsync(new TaskTransition("a", TaskState.Running, TaskState.Failed, "not the holder") { Holder = "other" }, CancellationToken.None));
        Assert.True(await store.ApplyAsync(new TaskTransition("a", TaskState.Running, TaskState.TimedOut, "idle") { Holder = "w", OutcomeJson = """{"x":1}""" }, CancellationToken.None));

        var task = await store.GetTaskAsync("a", CancellationToken.None);
        Assert.Equal(TaskState.TimedOut, task!.State);
        Assert.Equal("""{"x":1}""", task.OutcomeJson);
        var history = await store.GetHistoryAsync("a", CancellationToken.None);
        Assert.Equal([(null, TaskState.Queued, "submitted"), (TaskState.Queued, TaskState.Running, "claimed"), (TaskState.Running, TaskState.TimedOut, "idle")],
            history.Select(h => (h.From, h.To, h.Reason)));
    }

    [Fact]
    public async Task AppendEvent_NumbersInOrder_AndReplaysAfterASequence()
    {
        var store = await StoreAsync();
        await store.CreateTaskAsync(NewTask("b"), "submitted", CancellationToken.None);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => store.AppendEventAsync("b", "e", $"{{\"i\":{i}}}", CancellationToken.None)));
        var all = await store.GetEventsAsync("b", 0, CancellationToken.None);
        var tail = await store.GetEventsAsync("b", 15, CancellationToken.None);

        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), all.Select(e => e.Seq));
        Assert.Equal([16L, 17, 18, 19, 20], tail.Select(e => e.Seq));
    }

    [Fact]
    public async Task SaveSession_Upserts()
    {
        var store = await StoreAsync();

        await store.SaveSessionAsync(new SessionRecord("dev", "h/o/r", "issue-1", "s1", "/w1"), CancellationToken.None);
        await store.SaveSessionAsync(new SessionRecord("dev", "h/o/r", "issue-1", "s2", "/w1"), CancellationToken.None);

        Assert.Equal("s2", (await store.GetSessionAsync("dev", "h/o/r", "issue-1", CancellationToken.None))!.SessionId);
        Assert.Null(await store.GetSessionAsync("dev", "h/o/r", "issue-2", CancellationToken.None));
    }

    [Fact]
    public async Task QueueWork_AKeyWhoseTaskFailed_IsTakenAgainByANewRequest_ButNotByTheBackstop()
    {
        var store = await StoreAsync();
        var work = new ClaudeHooks.Forge.ForgeWork(ClaudeHooks.Forge.ForgeWork.Implement, "dev", "o/r", 1, "issue-1", null, null, "o/r|implement|1", "alice", null);
        Assert.Equal("a", await store.QueueWorkAsync(work, NewTask("a"), "webhook", CancellationToken.None));
        Assert.True(await store.ApplyAsync(new TaskTransition("a", TaskState.Queued, TaskState.Cancelled, "cancelled"), CancellationToken.None));

        Assert.Null(await store.QueueWorkAsync(work, NewTask("b"), "backstop", CancellationToken.None, retryEnded: false));
        Assert.Equal("c", await store.QueueWorkAsync(work, NewTask("c"), "webhook", CancellationToken.None));
    }

    private async Task<SqliteTaskStore> StoreAsync() => new(await Database.OpenAndMigrateAsync(_data.Path), TimeProvider.System);

    private static TaskRecord NewTask(string id) =>
        new(id, "dev", "https://f/o/r", null, "issue-1", "do it", TaskState.Queued, 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null);
}
