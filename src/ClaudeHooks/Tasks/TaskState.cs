namespace ClaudeHooks.Tasks;

internal enum TaskState
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    TimedOut,
    Interrupted,
}

internal static class TaskStateNames
{
    public static string ToName(this TaskState state) => state switch
    {
        TaskState.TimedOut => "timed_out",
        _ => state.ToString().ToLowerInvariant(),
    };

    public static TaskState Parse(string name) => name switch
    {
        "timed_out" => TaskState.TimedOut,
        _ => Enum.Parse<TaskState>(name, ignoreCase: true),
    };

    /// <summary>Every state's name, in the order a task usually goes through them.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Enum.GetValues<TaskState>().Select(s => s.ToName())];

    public static bool IsFinal(this TaskState state) => state is TaskState.Succeeded or TaskState.Failed or TaskState.Cancelled or TaskState.TimedOut;
}
