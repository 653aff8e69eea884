using ClaudeHooks.Forge;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Tasks;

/// <summary>The store's Created event: once per committed task, whichever way it was made, never for a refused one.</summary>
public sealed class SqliteTaskStoreCreatedTests : IDisposable
{
    private readonly TempDirectory _data = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    [Fact]
    public async Task Created_TaskFromTheApiAndFromForgeWork_RaisedOnceEachWithTheHistoryReason()
    {
        var store = new SqliteTaskStore(await Database.OpenAndMigrateAsync(_data.Path), _clock);
        var seen = new List<(string Id, string Reason)>();
        store.Created += (task, reason) => seen.Add((task.Id, reason));
        var work = new ForgeWork(ForgeWork.Implement, "dev", "o/r", 7, "issue-7", null, null, "o/r|implement|7", "alice", null);

        await store.CreateTaskAsync(NewTask("a"), "submitted through the API", CancellationToken.None);
        Assert.Equal("b", await store.QueueWorkAsync(work, NewTask("b"), "webhook", CancellationToken.None));
        Assert.Null(await store.QueueWorkAsync(work, NewTask("c"), "webhook", CancellationToken.None));

        Assert.Equal([("a", "submitted through the API"), ("b", "queued by webhook: implement o/r#7")], seen);
        Assert.Equal("queued by webhook: implement o/r#7", (await store.GetHistoryAsync("b", CancellationToken.None)).Single().Reason);
    }

    private TaskRecord NewTask(string id) =>
        new(id, "dev", "https://forge.example/o/r.git", null, "issue-7", "do it", TaskState.Queued, 0, _clock.GetUtcNow(), _clock.GetUtcNow(), null);
}
