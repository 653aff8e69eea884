using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Tasks;

public sealed class BudgetLedgerTests : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Spent_SumsEachAgentAndRepositoryPerUtcDay()
    {
        var (store, ledger) = await OpenAsync();
        await store.CreateTaskAsync(NewTask("a", "issue-1"), "submitted", CancellationToken.None);
        await store.CreateTaskAsync(NewTask("b", "issue-2"), "submitted", CancellationToken.None);
        var usage = new BudgetUsage("claude-sonnet-4-5", 100, 1000, 0, 0);

        await ledger.RecordAsync("a", "dev", "f/o/r", Noon, usage, 1.25m, CancellationToken.None);
        await ledger.RecordAsync("a", "dev", "f/o/r", Noon.AddMinutes(1), usage, 1.25m, CancellationToken.None);
        await ledger.RecordAsync("b", "dev", "f/o/other", Noon.AddHours(13), usage, 4m, CancellationToken.None);

        Assert.Equal(2.5m, await ledger.AgentSpentAsync("dev", "2026-12-02", CancellationToken.None));
        Assert.Equal(4m, await ledger.AgentSpentAsync("dev", "2026-12-03", CancellationToken.None));
        Assert.Equal(2.5m, await ledger.RepositorySpentAsync("F/O/R", "2026-12-02", CancellationToken.None));
        var spend = await ledger.TaskSpendAsync(["a", "b", "none"], CancellationToken.None);
        Assert.Equal(new BudgetSpend(2.5m, 2, 200, 2000, 0, 0), spend["a"]);
        Assert.False(spend.ContainsKey("none"));
    }

    [Fact]
    public async Task Hold_IsNewOncePerCapAndDay_AndHidesTheTaskFromClaimsUntilItFrees()
    {
        var (store, ledger) = await OpenAsync();
        await store.CreateTaskAsync(NewTask("a", "issue-1"), "submitted", CancellationToken.None);
        var hold = new BudgetHold("budgets.per_agent_per_day_usd", "agent dev spent $5.02 of its $5.00 daily cap", BudgetLedger.NextDay(Noon));

        Assert.True(await ledger.HoldAsync("a", hold, CancellationToken.None));
        Assert.False(await ledger.HoldAsync("a", hold with { Reason = "agent dev spent $6.00 of its $5.00 daily cap" }, CancellationToken.None));
        Assert.Null(await store.NextClaimableAsync("dev", Noon, CancellationToken.None));
        Assert.Equal("a", (await store.NextClaimableAsync("dev", hold.Until, CancellationToken.None))?.Id);
        Assert.Equal("budgets.per_agent_per_day_usd", (await ledger.HoldOfAsync("a", CancellationToken.None))?.ConfigKey);

        await ledger.ReleaseHoldsAsync(CancellationToken.None);
        Assert.Equal("a", (await store.NextClaimableAsync("dev", Noon, CancellationToken.None))?.Id);
        Assert.False(await ledger.HoldAsync("a", hold, CancellationToken.None));
        Assert.True(await ledger.HoldAsync("a", hold with { Until = hold.Until.AddDays(1) }, CancellationToken.None));
        await ledger.ClearHoldAsync("a", CancellationToken.None);
        Assert.Null(await ledger.HoldOfAsync("a", CancellationToken.None));
    }

    [Fact]
    public async Task PullRequestTasks_CountsOnlyOtherTasksOfThePullRequestThatRan_WithinTheWindow()
    {
        var (store, ledger) = await OpenAsync();
        await store.CreateTaskAsync(NewTask("old", "pr-7", Noon.AddHours(-2), attempt: 1), "submitted", CancellationToken.None);
        await store.CreateTaskAsync(NewTask("ran", "pr-7", Noon.AddMinutes(-10), attempt: 1), "submitted", CancellationToken.None);
        await store.CreateTaskAsync(NewTask("waiting", "pr-7", Noon.AddMinutes(-5), attempt: 0), "submitted", CancellationToken.None);
        await store.CreateTaskAsync(NewTask("elsewhere", "pr-8", Noon.AddMinutes(-5), attempt: 1), "submitted", CancellationToken.None);
        var task = NewTask("new", "pr-7", Noon);
        await store.CreateTaskAsync(task, "submitted", CancellationToken.None);

        var pull = await ledger.PullRequestOfAsync(task, CancellationToken.None);

        Assert.Equal(new BudgetPullRequest("https://f/o/r", 7, Forge: false), pull);
        Assert.Equal(1, await ledger.PullRequestTasksAsync("new", pull!, Noon.AddHours(-1), CancellationToken.None));
        Assert.Null(await ledger.PullRequestOfAsync(NewTask("x", "issue-7"), CancellationToken.None));
    }

    private async Task<(SqliteTaskStore Store, BudgetLedger Ledger)> OpenAsync()
    {
        var database = await Database.OpenAndMigrateAsync(_data.Path);
        return (new SqliteTaskStore(database, TimeProvider.System), new BudgetLedger(database));
    }

    private static TaskRecord NewTask(string id, string thread, DateTimeOffset? at = null, int attempt = 0) =>
        new(id, "dev", "https://f/o/r", null, thread, "do it", TaskState.Queued, attempt, at ?? Noon, at ?? Noon, null);
}
