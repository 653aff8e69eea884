using ClaudeHooks.Dashboard;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class TranscriptReaderTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    [Fact]
    public async Task PageAsync_NoBefore_TheNewestEventsOldestFirst()
    {
        var database = await DatabaseWithAsync(("a", 20_000), ("b", 50));

        var (events, earlier) = await new TranscriptReader(database).PageAsync("a", null, 200, CancellationToken.None);

        Assert.Equal(Enumerable.Range(19_801, 200).Select(i => (long)i), events.Select(e => e.Seq));
        Assert.All(events, e => Assert.Equal("a", e.TaskId));
        Assert.Equal(19_801, earlier);
    }

    [Fact]
    public async Task PageAsync_FollowingEarlier_ReadsEveryEventOnceThenEnds()
    {
        var database = await DatabaseWithAsync(("a", 20_000), ("b", 50));
        var reader = new TranscriptReader(database);

        var seen = new List<long>();
        long? before = null;
        var pages = 0;
        do
        {
            var (events, earlier) = await reader.PageAsync("a", before, 500, CancellationToken.None);
            Assert.True(events.Count <= 500);
            seen.InsertRange(0, events.Select(e => e.Seq));
            before = earlier;
            pages++;
        }
        while (before is not null);

        Assert.Equal(40, pages);
        Assert.Equal(Enumerable.Range(1, 20_000).Select(i => (long)i), seen);
    }

    [Fact]
    public async Task PageAsync_ExactlyOnePage_EarlierIsNull()
    {
        var database = await DatabaseWithAsync(("a", 200));

        var (events, earlier) = await new TranscriptReader(database).PageAsync("a", null, 200, CancellationToken.None);

        Assert.Equal(200, events.Count);
        Assert.Null(earlier);
    }

    [Fact]
    public async Task PageAsync_NoEvents_EmptyWithoutEarlier()
    {
        var database = await DatabaseWithAsync(("a", 0));

        var (events, earlier) = await new TranscriptReader(database).PageAsync("a", 1, 200, CancellationToken.None);

        Assert.Empty(events);
        Assert.Null(earlier);
    }

    [Theory]
    [InlineData(TranscriptReader.PageSql)]
    [InlineData(TranscriptReader.EarlierSql)]
    public async Task Queries_Plan_WalkThePrimaryKeyWithoutScanningOrSorting(string sql)
    {
        var database = await DatabaseWithAsync(("a", 1000));
        await using var connection = await database.OpenAsync();
        await using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
        explain.Parameters.AddWithValue("$task", "a");
        explain.Parameters.AddWithValue("$before", 500L);
        explain.Parameters.AddWithValue("$limit", 200);
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }

        var text = string.Join(" | ", plan);
        Assert.Contains("SEARCH task_events USING PRIMARY KEY (task_id=? AND seq<?)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("SCAN task_events", text, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EventAsync_OneSeq_ThatEventOrNull()
    {
        var database = await DatabaseWithAsync(("a", 10));
        var reader = new TranscriptReader(database);

        var found = await reader.EventAsync("a", 7, CancellationToken.None);

        Assert.Equal((7L, "runner/stderr", """{"line":"a 7"}"""), (found!.Seq, found.Type, found.Data));
        Assert.Null(await reader.EventAsync("a", 11, CancellationToken.None));
        Assert.Null(await reader.EventAsync("b", 7, CancellationToken.None));
    }

    /// <summary>Tasks with that many events each, written in one transaction (the store commits every event on its own).</summary>
    private async Task<Database> DatabaseWithAsync(params (string Task, int Events)[] tasks)
    {
        var database = await Database.OpenAndMigrateAsync(_data.Path);
        var store = new SqliteTaskStore(database, TimeProvider.System);
        foreach (var (task, _) in tasks)
        {
            await store.CreateTaskAsync(new TaskRecord(task, "dev", "https://f/o/r", null, "issue-1", "do it", TaskState.Queued, 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null), "submitted", CancellationToken.None);
        }

        await using var connection = await database.OpenAsync();
        await using var transaction = connection.BeginTransaction();
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO task_events (task_id, seq, at, type, data) VALUES ($task, $seq, $at, 'runner/stderr', $data)";
        var taskParameter = insert.Parameters.Add("$task", Microsoft.Data.Sqlite.SqliteType.Text);
        var seqParameter = insert.Parameters.Add("$seq", Microsoft.Data.Sqlite.SqliteType.Integer);
        insert.Parameters.AddWithValue("$at", SqliteTaskStore.Format(DateTimeOffset.UtcNow));
        var dataParameter = insert.Parameters.Add("$data", Microsoft.Data.Sqlite.SqliteType.Text);
        foreach (var (task, count) in tasks)
        {
            for (var seq = 1; seq <= count; seq++)
            {
                taskParameter.Value = task;
                seqParameter.Value = seq;
                dataParameter.Value = $$"""{"line":"{{task}} {{seq}}"}""";
                await insert.ExecuteNonQueryAsync();
            }
        }

        await transaction.CommitAsync();
        return database;
    }
}
