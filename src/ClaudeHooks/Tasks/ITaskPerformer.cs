using ClaudeHooks.Agents;

namespace ClaudeHooks.Tasks;

/// <summary>Carries out one kind of task (<see cref="TaskPerformers"/>) and says how it went; it never writes a task's state.</summary>
internal interface ITaskPerformer
{
    string Kind { get; }

    Task<RunOutcome> PerformAsync(TaskRecord task, CancellationToken cancellationToken);
}
