namespace ClaudeHooks.Tasks;

/// <summary>The storage seam: tasks, their history and events, and sessions. SQLite is the embedded default.</summary>
internal interface ITaskStore
{
    Task CreateTaskAsync(TaskRecord task, string reason, CancellationToken cancellationToken);

    Task<TaskRecord?> GetTaskAsync(string id, CancellationToken cancellationToken);

    /// <summary>Moves a task from <paramref name="from"/> to <paramref name="to"/>; false when it was not in <paramref name="from"/>.</summary>
    Task<bool> TransitionAsync(string id, TaskState from, TaskState to, string reason, string? outcomeJson, CancellationToken cancellationToken);

    Task AddHistoryNoteAsync(string id, string reason, CancellationToken cancellationToken);

    Task<IReadOnlyList<TaskHistoryEntry>> GetHistoryAsync(string id, CancellationToken cancellationToken);

    Task<StoredEvent> AppendEventAsync(string taskId, string type, string data, CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredEvent>> GetEventsAsync(string taskId, long afterSeq, CancellationToken cancellationToken);

    Task<SessionRecord?> GetSessionAsync(string agent, string repo, string thread, CancellationToken cancellationToken);

    Task SaveSessionAsync(SessionRecord session, CancellationToken cancellationToken);
}
