using ClaudeHooks.Agents;

namespace ClaudeHooks.Tasks;

/// <summary>What an integration (the forge) does around a task: before it runs, instead of running Claude, and after.</summary>
internal interface ITaskHooks
{
    Task StartingAsync(TaskRecord task, CancellationToken cancellationToken);

    /// <summary>An outcome when the integration performs the task itself (the lead's merge); null to run Claude Code.</summary>
    Task<RunOutcome?> RunInsteadAsync(TaskRecord task, CancellationToken cancellationToken);

    Task<RunOutcome> FinishedAsync(TaskRecord task, RunOutcome outcome, CancellationToken cancellationToken);
}

internal sealed class NoTaskHooks : ITaskHooks
{
    public Task StartingAsync(TaskRecord task, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<RunOutcome?> RunInsteadAsync(TaskRecord task, CancellationToken cancellationToken) => Task.FromResult<RunOutcome?>(null);

    public Task<RunOutcome> FinishedAsync(TaskRecord task, RunOutcome outcome, CancellationToken cancellationToken) => Task.FromResult(outcome);
}
