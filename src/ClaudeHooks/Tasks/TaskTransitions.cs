namespace ClaudeHooks.Tasks;

/// <summary>
/// Every move a task may make, and nothing else. <see cref="TaskStateMachine"/> applies them, each guarded by the
/// state the task is expected to be in, with a history row and its reason. A retry is one of them (running →
/// queued, not before its backoff), as is recovering the work of a dead or stopped service.
/// </summary>
internal static class TaskTransitions
{
    /// <summary>A new task starts queued; <c>claude-hooks run</c> starts its task running, under its own lease.</summary>
    public static readonly IReadOnlySet<TaskState> Initial = new HashSet<TaskState> { TaskState.Queued, TaskState.Running };

    private static readonly Dictionary<TaskState, TaskState[]> Allowed = new()
    {
        // claimed by a worker; cancelled before it ran
        [TaskState.Queued] = [TaskState.Running, TaskState.Cancelled],

        // its performer's result; retried (or recovered after a lost lease); stopped by a drain or a rebuild
        [TaskState.Running] = [TaskState.Succeeded, TaskState.Failed, TaskState.Cancelled, TaskState.TimedOut, TaskState.Queued, TaskState.Interrupted],

        // queued again at the next start, unless out of attempts; cancelled while waiting
        [TaskState.Interrupted] = [TaskState.Queued, TaskState.Failed, TaskState.Cancelled],
        [TaskState.Succeeded] = [],
        [TaskState.Failed] = [],
        [TaskState.Cancelled] = [],
        [TaskState.TimedOut] = [],
    };

    public static bool IsAllowed(TaskState from, TaskState to) => Allowed[from].Contains(to);

    /// <summary>The states <paramref name="from"/> may move to.</summary>
    public static IReadOnlyList<TaskState> From(TaskState from) => Allowed[from];

    /// <summary>Throws for a move the table does not hold: a bug in the caller, never a race (races are refused by the guard).</summary>
    public static void Ensure(TaskState from, TaskState to)
    {
        if (!IsAllowed(from, to))
        {
            throw new IllegalTransitionException(from, to);
        }
    }
}
