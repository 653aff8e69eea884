using ClaudeHooks.Config;
using ClaudeHooks.Forge;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Tasks;

/// <summary>The claim path with budgets: <see cref="BudgetGuard.AdmitAsync"/> through <see cref="TaskStateMachine.ClaimAsync"/> on a real database.</summary>
public sealed class BudgetAdmissionTests : IDisposable
{
    private readonly TempDirectory _data = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 2, 23, 0, 0, TimeSpan.Zero));

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task ClaimAsync_AgentOverItsCap_HoldsTheTaskOnce_NamingTheCap_AndClaimsItTheNextUtcDay()
    {
        var (store, ledger, machine, guard) = await OpenAsync("""{ "per_agent_per_day_usd": { "dev": 5 } }""");
        await store.CreateTaskAsync(NewTask("spent", "issue-1"), "submitted", CancellationToken.None);
        await store.CreateTaskAsync(NewTask("next", "issue-2"), "submitted", CancellationToken.None);
        await ledger.RecordAsync("spent", "dev", "f/o/r", _clock.GetUtcNow(), new BudgetUsage("claude-sonnet-4-5", 0, 1, 0, 0), 5.02m, CancellationToken.None);
        Assert.True(await store.ApplyAsync(new TaskTransition("spent", TaskState.Queued, TaskState.Cancelled, "done"), CancellationToken.None));

        Assert.Null(await machine.ClaimAsync("dev", "w", TimeSpan.FromMinutes(1), CancellationToken.None, guard.AdmitAsync));
        Assert.Null(await machine.ClaimAsync("dev", "w", TimeSpan.FromMinutes(1), CancellationToken.None, guard.AdmitAsync));

        var hold = await ledger.HoldOfAsync("next", CancellationToken.None);
        Assert.Equal("agent dev spent $5.02 of its $5.00 daily cap (budgets.per_agent_per_day_usd.dev); waits until 00:00 UTC (2026-12-03)", hold?.Reason);
        var notes = (await store.GetHistoryAsync("next", CancellationToken.None)).Where(h => h.Reason.StartsWith("held: ", StringComparison.Ordinal)).ToList();
        Assert.Single(notes);
        Assert.Single(await store.GetEventsAsync("next", 0, CancellationToken.None), e => e.Type == BudgetGuard.HeldEvent);

        _clock.Advance(TimeSpan.FromHours(1));
        var claimed = await machine.ClaimAsync("dev", "w", TimeSpan.FromMinutes(1), CancellationToken.None, guard.AdmitAsync);
        Assert.Equal("next", claimed?.Id);
        Assert.Null(await ledger.HoldOfAsync("next", CancellationToken.None));
    }

    [Fact]
    public async Task ClaimAsync_RepositoryOverItsCap_PassesOverItsTask_AndClaimsTheAgentsOtherWork()
    {
        var (store, ledger, machine, guard) = await OpenAsync("""{ "per_repository_per_day_usd": { "o/r": 1 } }""");
        await store.CreateTaskAsync(NewTask("capped", "issue-1"), "submitted", CancellationToken.None);
        await store.CreateTaskAsync(NewTask("other", "issue-2", "https://f/o/other") with { CreatedAt = _clock.GetUtcNow().AddSeconds(1) }, "submitted", CancellationToken.None);
        await ledger.RecordAsync("capped", "dev", "f/o/r", _clock.GetUtcNow(), new BudgetUsage(null, 0, 1, 0, 0), 1m, CancellationToken.None);

        var claimed = await machine.ClaimAsync("dev", "w", TimeSpan.FromMinutes(1), CancellationToken.None, guard.AdmitAsync);

        Assert.Equal("other", claimed?.Id);
        Assert.StartsWith("repository f/o/r spent $1.00 of its $1.00 daily cap (budgets.per_repository_per_day_usd.o/r)", (await ledger.HoldOfAsync("capped", CancellationToken.None))?.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClaimAsync_PullRequestAtTheLoopBreakersCount_CancelsTheTaskNamingTheKey()
    {
        var (store, _, machine, guard) = await OpenAsync("""{ "loop_breaker": { "max_tasks_per_pull_request": 1, "window": "1h" } }""");
        await store.CreateTaskAsync(NewTask("ran", "pr-3") with { Attempt = 1, State = TaskState.Queued }, "submitted", CancellationToken.None);
        Assert.True(await store.ApplyAsync(new TaskTransition("ran", TaskState.Queued, TaskState.Cancelled, "done"), CancellationToken.None));
        await store.CreateTaskAsync(NewTask("looping", "pr-3") with { CreatedAt = _clock.GetUtcNow().AddSeconds(1) }, "submitted", CancellationToken.None);

        Assert.Null(await machine.ClaimAsync("dev", "w", TimeSpan.FromMinutes(1), CancellationToken.None, guard.AdmitAsync));

        var task = await store.GetTaskAsync("looping", CancellationToken.None);
        Assert.Equal(TaskState.Cancelled, task?.State);
        var reason = (await store.GetHistoryAsync("looping", CancellationToken.None))[^1].Reason;
        Assert.StartsWith("loop breaker: pull request https://f/o/r#3 already had 1 task(s) in the last 1h (budgets.loop_breaker.max_tasks_per_pull_request = 1)", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pr-7", true)]
    [InlineData("fix-login", true)]
    [InlineData("issue-7", false)]
    public async Task ClaimAsync_MentionsOnOnePullRequest_AreCountedByTheLoopBreaker_ButNotMentionsOnTheIssue(string thread, bool broken)
    {
        var (store, _, machine, guard) = await OpenAsync("""{ "loop_breaker": { "max_tasks_per_pull_request": 2, "window": "1h" } }""");
        var claimed = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var work = new ForgeWork(ForgeWork.Mention, "dev", "o/r", 7, thread, null, "abc", $"o/r|comment|{i}", "ci-bot", "@dev again");
            Assert.NotNull(await store.QueueWorkAsync(work, NewTask($"m{i}", thread), "webhook", CancellationToken.None));
            if (await machine.ClaimAsync("dev", "w", TimeSpan.FromMinutes(1), CancellationToken.None, guard.AdmitAsync) is { } got)
            {
                claimed.Add(got.Id);
                Assert.True(await store.ApplyAsync(new TaskTransition(got.Id, TaskState.Running, TaskState.Succeeded, "done"), CancellationToken.None));
            }

            _clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(broken ? ["m0", "m1"] : ["m0", "m1", "m2", "m3"], claimed);
        if (broken)
        {
            Assert.Equal(TaskState.Cancelled, (await store.GetTaskAsync("m2", CancellationToken.None))?.State);
            Assert.Contains("budgets.loop_breaker.max_tasks_per_pull_request", (await store.GetHistoryAsync("m2", CancellationToken.None))[^1].Reason, StringComparison.Ordinal);
        }
    }

    private async Task<(SqliteTaskStore Store, BudgetLedger Ledger, TaskStateMachine Machine, BudgetGuard Guard)> OpenAsync(string budgets)
    {
        var config = ConfigLoader.Parse("/etc/claude-hooks/agents.json", $$"""{ "budgets": {{budgets}}, "agents": { "dev": { "role": "dev", "forge_user": "d" } } }""", new ClaudeHooksPaths(_data.Path));
        var database = await Database.OpenAndMigrateAsync(_data.Path);
        var store = new SqliteTaskStore(database, _clock);
        var ledger = new BudgetLedger(database);
        var machine = new TaskStateMachine(store, new NoTaskReactions(), config, _clock, new ListLogger<TaskStateMachine>());
        var guard = new BudgetGuard(ledger, config, store, machine, new TaskSignals(), new TaskEventBus(store), _clock, new ListLogger<BudgetGuard>());
        return (store, ledger, machine, guard);
    }

    private TaskRecord NewTask(string id, string thread, string repo = "https://f/o/r") =>
        new(id, "dev", repo, null, thread, "do it", TaskState.Queued, 0, _clock.GetUtcNow(), _clock.GetUtcNow(), null);
}
