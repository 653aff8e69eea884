using ClaudeHooks.Agents;
using ClaudeHooks.Config;
using ClaudeHooks.Forge;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Tasks;

/// <summary>The one state machine against a real store: the table, the guards, retries with backoff, recovery, and the intents recorded with a move.</summary>
public sealed class TaskStateMachineTests : IDisposable
{
    private readonly TempDirectory _data = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    public static TheoryData<string, string> AllMoves()
    {
        var moves = new TheoryData<string, string>();
        foreach (var from in Enum.GetNames<TaskState>())
        {
            foreach (var to in Enum.GetNames<TaskState>())
            {
                moves.Add(from, to);
            }
        }

        return moves;
    }

    [Theory]
    [MemberData(nameof(AllMoves))]
    public void Table_AllowsExactlyTheListedMoves_AndRefusesEveryOther(string fromName, string toName)
    {
        var (from, to) = (Enum.Parse<TaskState>(fromName), Enum.Parse<TaskState>(toName));
        HashSet<(TaskState, TaskState)> allowed =
        [
            (TaskState.Queued, TaskState.Running), (TaskState.Queued, TaskState.Cancelled),
            (TaskState.Running, TaskState.Succeeded), (TaskState.Running, TaskState.Failed), (TaskState.Running, TaskState.Cancelled),
            (TaskState.Running, TaskState.TimedOut), (TaskState.Running, TaskState.Queued), (TaskState.Running, TaskState.Interrupted),
            (TaskState.Interrupted, TaskState.Queued), (TaskState.Interrupted, TaskState.Failed), (TaskState.Interrupted, TaskState.Cancelled),
        ];

        Assert.Equal(allowed.Contains((from, to)), TaskTransitions.IsAllowed(from, to));
        if (!allowed.Contains((from, to)))
        {
            var refused = Assert.Throws<IllegalTransitionException>(() => TaskTransitions.Ensure(from, to));
            Assert.Contains($"from {from.ToName()} to {to.ToName()}", refused.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Finish_AnEndedTask_IsRefusedByTheTableAndChangesNothing()
    {
        var (store, machine) = await MachineAsync();
        var task = await ClaimedAsync(store, machine, "a");
        Assert.True(await machine.FinishAsync(task, "w", Outcome(RunStatus.Succeeded), CancellationToken.None));

        var ended = (await store.GetTaskAsync("a", CancellationToken.None))!;
        await Assert.ThrowsAsync<IllegalTransitionException>(() => machine.FinishAsync(ended, "w", Outcome(RunStatus.Failed), CancellationToken.None));
        Assert.Equal(TaskState.Succeeded, (await store.GetTaskAsync("a", CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Finish_ByAWorkerThatLostItsLease_IsNotRecorded()
    {
        var (store, machine) = await MachineAsync();
        var task = await ClaimedAsync(store, machine, "a");

        Assert.False(await machine.FinishAsync(task, "someone-else", Outcome(RunStatus.Succeeded), CancellationToken.None));
        Assert.Equal(TaskState.Running, (await store.GetTaskAsync("a", CancellationToken.None))!.State);
    }

    [Fact]
    public async Task TransientFailure_IsRetriedAfterABackoff_ThenGivenUpAtTheBound()
    {
        var (store, machine) = await MachineAsync(maxAttempts: 2);
        var task = await ClaimedAsync(store, machine, "a");

        Assert.True(await machine.FinishAsync(task, "w", Outcome(RunStatus.Failed) with { Reason = "the engine was busy", Transient = true }, CancellationToken.None));
        var queued = (await store.GetTaskAsync("a", CancellationToken.None))!;
        var retry = (await store.GetHistoryAsync("a", CancellationToken.None))[^1];
        Assert.Equal(TaskState.Queued, queued.State);
        Assert.InRange(queued.NotBefore!.Value - _clock.GetUtcNow(), RetrySchedule.First * 0.75, RetrySchedule.First * 1.25);
        Assert.StartsWith("attempt 1 of 2 failed: the engine was busy; attempt 2 of 2 not before ", retry.Reason, StringComparison.Ordinal);

        // Not claimable before its time, claimable after.
        Assert.Null(await machine.ClaimAsync("dev", "w", TimeSpan.FromMinutes(1), CancellationToken.None));
        _clock.Advance(RetrySchedule.First * 1.3);
        var second = await machine.ClaimAsync("dev", "w", TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Equal(2, second!.Attempt);

        Assert.True(await machine.FinishAsync(second, "w", Outcome(RunStatus.Failed) with { Reason = "still busy", Transient = true }, CancellationToken.None));
        var failed = (await store.GetTaskAsync("a", CancellationToken.None))!;
        Assert.Equal(TaskState.Failed, failed.State);
        Assert.Equal("still busy; gave up after 2 attempt(s) (service.max_attempts = 2)", (await store.GetHistoryAsync("a", CancellationToken.None))[^1].Reason);
    }

    [Fact]
    public void Backoff_GrowsAndStaysWithinItsJitterAndCap()
    {
        var random = new Random(7);
        for (var attempt = 1; attempt <= 12; attempt++)
        {
            var nominal = Math.Min(RetrySchedule.First.TotalSeconds * Math.Pow(2, attempt - 1), RetrySchedule.Longest.TotalSeconds);
            Assert.InRange(RetrySchedule.Delay(attempt, random).TotalSeconds, nominal * 0.75 - 0.1, nominal * 1.25 + 0.1);
        }
    }

    [Fact]
    public async Task Interrupted_IsQueuedAgainWithoutFailing()
    {
        var (store, machine) = await MachineAsync();
        var task = await ClaimedAsync(store, machine, "a");

        Assert.True(await machine.FinishAsync(task, "w", Outcome(RunStatus.Interrupted) with { Reason = "the agent's container was rebuilt" }, CancellationToken.None));

        var queued = (await store.GetTaskAsync("a", CancellationToken.None))!;
        Assert.Equal(TaskState.Queued, queued.State);
        Assert.StartsWith("interrupted: the agent's container was rebuilt; attempt 2 of 3", (await store.GetHistoryAsync("a", CancellationToken.None))[^1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recover_AnExpiredLease_Requeues_ButNotOneRenewedMeanwhile()
    {
        var (store, machine) = await MachineAsync();
        var task = await ClaimedAsync(store, machine, "a", lease: TimeSpan.FromSeconds(30));
        _clock.Advance(TimeSpan.FromMinutes(1));
        var seen = (await store.FindAbandonedAsync(_clock.GetUtcNow(), CancellationToken.None)).Single();

        // The holder was only slow: it renews before the recovery acts on what it saw.
        Assert.True(await store.RenewLeaseAsync("a", "w", TimeSpan.FromMinutes(5), CancellationToken.None));
        Assert.Null(await machine.RecoverAsync(seen, "lease expired", CancellationToken.None));
        Assert.Equal(TaskState.Running, (await store.GetTaskAsync("a", CancellationToken.None))!.State);

        _clock.Advance(TimeSpan.FromMinutes(10));
        var expired = (await store.FindAbandonedAsync(_clock.GetUtcNow(), CancellationToken.None)).Single();
        Assert.Equal(TaskState.Queued, await machine.RecoverAsync(expired, "lease expired", CancellationToken.None));
        Assert.Equal(task.Id, (await store.GetTaskAsync("a", CancellationToken.None))!.Id);
    }

    [Fact]
    public async Task ARunningTaskUnderALiveLease_IsNeverAbandoned()
    {
        // What claude-hooks run does: its task starts running under the run's own lease, which it renews.
        var (store, machine) = await MachineAsync();
        var now = _clock.GetUtcNow();
        await machine.CreateAsync(NewTask("r") with { State = TaskState.Running, Attempt = 1, LeaseOwner = "run:1", LeaseExpiresAt = now + TimeSpan.FromMinutes(1) }, "started by claude-hooks run", CancellationToken.None);

        Assert.Empty(await store.FindAbandonedAsync(now + TimeSpan.FromSeconds(59), CancellationToken.None));
        Assert.Null(await machine.ClaimAsync("dev", "serve", TimeSpan.FromMinutes(1), CancellationToken.None));
    }

    [Fact]
    public async Task Move_RecordsItsIntentsInTheSameTransaction_AndNoneWhenTheGuardRefuses()
    {
        var reactions = new Reactions();
        var (store, machine) = await MachineAsync(reactions: reactions);
        await machine.CreateAsync(NewTask("a"), "submitted", CancellationToken.None);
        var queued = (await store.GetTaskAsync("a", CancellationToken.None))!;

        var claimed = await machine.ClaimAsync("dev", "w", TimeSpan.FromMinutes(1), CancellationToken.None);
        // A second move from the state seen before is refused, and its intent goes nowhere.
        var cancelled = await Record.ExceptionAsync(() => machine.CancelAsync("a", "too late", CancellationToken.None));
        Assert.Null(cancelled);
        Assert.False(await store.ApplyAsync(new TaskTransition("a", TaskState.Queued, TaskState.Cancelled, "stale") { Intents = [Intent("stale")] }, CancellationToken.None));

        Assert.NotNull(claimed);
        Assert.Equal([(queued.Id, TaskState.Running)], reactions.Seen);
        Assert.NotNull(await store.GetIntentAsync("a:running", CancellationToken.None));
        Assert.Null(await store.GetIntentAsync("stale", CancellationToken.None));
    }

    private async Task<(SqliteTaskStore Store, TaskStateMachine Machine)> MachineAsync(int maxAttempts = 3, ITaskReactions? reactions = null)
    {
        var store = new SqliteTaskStore(await Database.OpenAndMigrateAsync(_data.Path), _clock);
        var config = ConfigLoader.Parse("agents.json", $$"""{ "service": { "max_attempts": {{maxAttempts}} }, "agents": { "dev": { "role": "dev", "forge_user": "d" } } }""", new ClaudeHooksPaths(_data.Path));
        return (store, new TaskStateMachine(store, reactions ?? new NoTaskReactions(), config, _clock, new ListLogger<TaskStateMachine>()));
    }

    private async Task<TaskRecord> ClaimedAsync(SqliteTaskStore store, TaskStateMachine machine, string id, TimeSpan? lease = null)
    {
        await machine.CreateAsync(NewTask(id), "submitted", CancellationToken.None);
        return (await machine.ClaimAsync("dev", "w", lease ?? TimeSpan.FromMinutes(5), CancellationToken.None))!;
    }

    private TaskRecord NewTask(string id) =>
        new(id, "dev", "https://forge.example/o/r.git", null, "issue-1", "do it", TaskState.Queued, 0, _clock.GetUtcNow(), _clock.GetUtcNow(), null);

    private static RunOutcome Outcome(RunStatus status) =>
        new(status, status.ToName(), null, false, 1, null, 10, null, null, null, null, null, 0, 0);

    private static ForgeIntent Intent(string key) => new(key, "a", "o/r", "dev", ForgeIntent.Comment, "{}");

    private sealed class Reactions : ITaskReactions
    {
        public List<(string, TaskState)> Seen { get; } = [];

        public Task<IReadOnlyList<ForgeIntent>> IntentsForAsync(TaskRecord task, TaskState to, string reason, RunOutcome? outcome, CancellationToken cancellationToken)
        {
            Seen.Add((task.Id, to));
            return Task.FromResult<IReadOnlyList<ForgeIntent>>(to == TaskState.Running ? [Intent("a:running")] : []);
        }
    }
}
