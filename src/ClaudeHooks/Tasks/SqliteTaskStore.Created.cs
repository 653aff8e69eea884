namespace ClaudeHooks.Tasks;

internal sealed partial class SqliteTaskStore
{
    /// <summary>
    /// Raised once a new task is committed, whoever made it (the API, the dashboard, the forge), with the reason its
    /// first history row carries; the state machine logs and counts it like every other move.
    /// </summary>
    public event Action<TaskRecord, string>? Created;

    private void OnCreated(TaskRecord task, string reason) => Created?.Invoke(task, reason);
}
