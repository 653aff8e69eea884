using ClaudeHooks.Agents;
using ClaudeHooks.Forge;

namespace ClaudeHooks.Tasks;

/// <summary>
/// What an integration (the forge flow) does when a task moves: the forge writes the move causes, recorded in the
/// move's own transaction. It may read, never write: the writes are carried out once the move is committed.
/// </summary>
internal interface ITaskReactions
{
    Task<IReadOnlyList<ForgeIntent>> IntentsForAsync(TaskRecord task, TaskState to, string reason, RunOutcome? outcome, CancellationToken cancellationToken);
}

internal sealed class NoTaskReactions : ITaskReactions
{
    public Task<IReadOnlyList<ForgeIntent>> IntentsForAsync(TaskRecord task, TaskState to, string reason, RunOutcome? outcome, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ForgeIntent>>([]);
}
