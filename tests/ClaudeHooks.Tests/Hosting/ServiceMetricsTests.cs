using ClaudeHooks.Agents;
using ClaudeHooks.Config;
using ClaudeHooks.Hosting;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Hosting;

/// <summary>What the state machine records on the ClaudeHooks meter and in its log, against a real store.</summary>
public sealed class ServiceMetricsTests : IDisposable
{
    private readonly TempDirectory _data = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly MeterRecorder _recorder = new();
    private readonly ListLogger<TaskStateMachine> _log = new();

    private ServiceMetrics Metrics => _recorder.Metrics;

    public void Dispose()
    {
        _recorder.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    [Fact]
    public async Task FinishAsync_Succeeded_CountsEachTransitionAndTheRunsDurationCostAndTokens()
    {
        var (_, machine) = await MachineAsync();
        await machine.CreateAsync(NewTask("a"), "submitted", CancellationToken.None);
        var claimed = (await machine.ClaimAsync("dev", "w", TimeSpan.FromMinutes(5), CancellationToken.None))!;
        var outcome = new RunOutcome(RunStatus.Succeeded, "done", null, false, 2, 0.125m, 2_500, """{"input_tokens":120,"output_tokens":30}""", null, null, null, null, 0, 0);

        Assert.True(await machine.FinishAsync(claimed, "w", outcome, CancellationToken.None));

        Assert.Equal(["queued", "running", "succeeded"], Values("claude_hooks.task.transitions").Select(m => m.Tags["state"]));
        Assert.All(Values("claude_hooks.task.transitions"), m => Assert.Equal("dev", m.Tags["agent"]));
        var duration = Assert.Single(Values("claude_hooks.task.run.duration"));
        Assert.Equal(2.5, duration.Value);
        Assert.Equal("succeeded", duration.Tags["state"]);
        Assert.Equal(0.125, Assert.Single(Values("claude_hooks.task.cost_usd")).Value);
        Assert.Equal([("input", 120d), ("output", 30d)], Values("claude_hooks.task.tokens").Select(m => (m.Tags["type"], m.Value)));
    }

    [Fact]
    public async Task FinishAsync_TransientFailureRetried_TheRunIsCountedOnceWithTheQueuedState()
    {
        var (_, machine) = await MachineAsync();
        await machine.CreateAsync(NewTask("b"), "submitted", CancellationToken.None);
        var claimed = (await machine.ClaimAsync("dev", "w", TimeSpan.FromMinutes(5), CancellationToken.None))!;
        var outcome = new RunOutcome(RunStatus.Failed, "engine unavailable", null, false, 0, 0.01m, 400, null, null, null, null, null, 0, 0, Transient: true);

        Assert.True(await machine.FinishAsync(claimed, "w", outcome, CancellationToken.None));

        var duration = Assert.Single(Values("claude_hooks.task.run.duration"));
        Assert.Equal("queued", duration.Tags["state"]);
        Assert.Equal(0.01, Assert.Single(Values("claude_hooks.task.cost_usd")).Value);
        Assert.Empty(Values("claude_hooks.task.tokens"));
    }

    [Fact]
    public async Task RecoverAsync_ExpiredLease_CountsARecoveryOfItsKindAndResult()
    {
        var (_, machine) = await MachineAsync();
        await machine.CreateAsync(NewTask("c"), "submitted", CancellationToken.None);
        var claimed = (await machine.ClaimAsync("dev", "w", TimeSpan.FromSeconds(30), CancellationToken.None))!;
        _clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(TaskState.Queued, await machine.RecoverAsync(claimed, "lease expired", CancellationToken.None));

        var recovery = Assert.Single(Values("claude_hooks.task.recoveries"));
        Assert.Equal(("dev", "lease_expired", "queued"), (recovery.Tags["agent"], recovery.Tags["kind"], recovery.Tags["result"]));
    }

    [Fact]
    public async Task MoveAsync_Applied_LogsOneLinePerTransitionWithoutTheUserPartOfTheRepositoryUrl()
    {
        var (_, machine) = await MachineAsync();
        await machine.CreateAsync(NewTask("d") with { Repo = "https://dev@forge.example/o/r.git" }, "submitted", CancellationToken.None);
        var claimed = (await machine.ClaimAsync("dev", "w", TimeSpan.FromMinutes(5), CancellationToken.None))!;
        var outcome = new RunOutcome(RunStatus.Succeeded, "done", null, false, 1, 0.5m, 1_250, null, null, null, null, null, 0, 0);
        await machine.FinishAsync(claimed, "w", outcome, CancellationToken.None);

        var lines = _log.Messages.Where(m => m.StartsWith("task d ", StringComparison.Ordinal)).ToList();

        Assert.Equal(3, lines.Count);
        Assert.StartsWith("task d new -> queued: agent dev, repository https://forge.example/o/r.git, reason: submitted", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("task d queued -> running: agent dev", lines[1], StringComparison.Ordinal);
        Assert.Equal("task d running -> succeeded: agent dev, repository https://forge.example/o/r.git, reason: done; cost 0.5 USD, duration 1.25 s", lines[2]);
        Assert.DoesNotContain(lines, l => l.Contains("dev@", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"input_tokens":7,"output_tokens":3,"cache_read_input_tokens":99}""", 7, 3)]
    [InlineData("""{"input_tokens":-1}""", 0, 0)]
    [InlineData("not json", 0, 0)]
    [InlineData("[]", 0, 0)]
    [InlineData(null, 0, 0)]
    public void Tokens_UsageJson_InputAndOutputOrZero(string? usage, long input, long output) =>
        Assert.Equal((input, output), ServiceMetrics.Tokens(usage));

    [Theory]
    [InlineData(200, null, "2xx")]
    [InlineData(404, null, "4xx")]
    [InlineData(503, null, "5xx")]
    [InlineData(null, "timeout", "timeout")]
    [InlineData(null, "refused", "error")]
    public void ForgeOutcome_StatusOrFailure_IsABoundedClass(int? status, string? failure, string expected)
    {
        Exception? exception = failure switch
        {
            "timeout" => new Polly.Timeout.TimeoutRejectedException(),
            "refused" => new HttpRequestException("connection refused"),
            _ => null,
        };

        Assert.Equal(expected, ServiceMetrics.ForgeOutcome(status, exception));
    }

    private List<(string Instrument, double Value, Dictionary<string, string> Tags)> Values(string instrument) => _recorder.Values(instrument);

    private async Task<(SqliteTaskStore Store, TaskStateMachine Machine)> MachineAsync()
    {
        var store = new SqliteTaskStore(await Database.OpenAndMigrateAsync(_data.Path), _clock);
        var config = ConfigLoader.Parse("agents.json", """{ "agents": { "dev": { "role": "dev", "forge_user": "d" } } }""", new ClaudeHooksPaths(_data.Path));
        var machine = new TaskStateMachine(store, new NoTaskReactions(), config, _clock, _log, Metrics);
        store.Created += machine.Created;
        return (store, machine);
    }

    private TaskRecord NewTask(string id) =>
        new(id, "dev", "https://forge.example/o/r.git", null, "issue-1", "do it", TaskState.Queued, 0, _clock.GetUtcNow(), _clock.GetUtcNow(), null);
}
