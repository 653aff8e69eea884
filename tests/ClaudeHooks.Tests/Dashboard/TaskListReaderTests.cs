using ClaudeHooks.Dashboard;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class TaskListReaderTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task ReadAsync_Cost_IsTheReportedTotal_ElseTheGatewaysCount_ElseNone()
    {
        var database = await Database.OpenAndMigrateAsync(_data.Path);
        var store = new SqliteTaskStore(database, TimeProvider.System);
        var ledger = new BudgetLedger(database);
        var now = DateTimeOffset.UtcNow;
        foreach (var id in new[] { "reported", "stopped", "idle" })
        {
            await store.CreateTaskAsync(new TaskRecord(id, "dev", "https://f/o/r", null, "issue-1", "do it", TaskState.Queued, 0, now, now, null), "submitted", CancellationToken.None);
        }

        var usage = new BudgetUsage("claude-sonnet-4-5", 100, 100_000, 0, 0);
        await ledger.RecordAsync("reported", "dev", "f/o/r", now, usage, 1.5m, CancellationToken.None);
        await ledger.RecordAsync("stopped", "dev", "f/o/r", now, usage, 1.5m, CancellationToken.None);
        Assert.True(await store.ApplyAsync(new TaskTransition("reported", TaskState.Queued, TaskState.Cancelled, "done") { OutcomeJson = """{"status":"succeeded","cost_usd":1.25}""" }, CancellationToken.None));

        var rows = (await TaskListReader.ReadAsync(database, SecretRedactor.FormatsOnly, new TaskFilter(null, null, null, null), null, CancellationToken.None)).ToDictionary(r => r.Id);

        Assert.Equal(1.25m, rows["reported"].CostUsd);
        Assert.Equal(1.5m, rows["stopped"].CostUsd);
        Assert.Null(rows["idle"].CostUsd);
    }
}
