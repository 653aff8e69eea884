namespace ClaudeHooks.Tasks;

/// <summary>The storage seam: tasks with their history, leases and events, and sessions. SQLite is the embedded default.</summary>
internal interface ITaskStore
{
    Task CreateTaskAsync(TaskRecord task, string reason, CancellationToken cancellationToken);

    Task<TaskRecord?> GetTaskAsync(string id, CancellationToken cancellationToken);

    Task<IReadOnlyList<TaskRecord>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken);

    /// <summary>The agent's oldest queued task that may be claimed now (its retry time, if any, has come).</summary>
    Task<TaskRecord?> NextClaimableAsync(string agent, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Applies one move with its history row and forge intents, all or nothing; false when the task was not in the expected state (or lease).</summary>
    Task<bool> ApplyAsync(TaskTransition transition, CancellationToken cancellationToken);

    /// <summary>Extends the lease; false when <paramref name="owner"/> no longer holds it.</summary>
    Task<bool> RenewLeaseAsync(string id, string owner, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Running tasks whose lease has expired, and interrupted ones: work a dead or stopped service left behind.</summary>
    Task<IReadOnlyList<TaskRecord>> FindAbandonedAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Flags a running task for its worker (which may be another process); false when it is not running.</summary>
    Task<bool> SetCancelRequestedAsync(string id, string reason, CancellationToken cancellationToken);

    Task<QueueStats> GetQueueStatsAsync(DateTimeOffset now, CancellationToken cancellationToken);

    Task AddHistoryNoteAsync(string id, string reason, CancellationToken cancellationToken);

    Task<IReadOnlyList<TaskHistoryEntry>> GetHistoryAsync(string id, CancellationToken cancellationToken);

    Task<StoredEvent> AppendEventAsync(string taskId, string type, string data, CancellationToken cancellationToken);

    /// <summary>The task's events after <paramref name="afterSeq"/>, in order, at most <paramref name="limit"/> of them.</summary>
    Task<IReadOnlyList<StoredEvent>> GetEventsAsync(string taskId, long afterSeq, CancellationToken cancellationToken, int limit = int.MaxValue);

    /// <summary>The UTF-8 bytes of the task's stored event types and data, and whether one of its events is of <paramref name="markerType"/>.</summary>
    Task<EventUsage> GetEventUsageAsync(string taskId, string markerType, CancellationToken cancellationToken);

    Task<SessionRecord?> GetSessionAsync(string agent, string repo, string thread, CancellationToken cancellationToken);

    Task SaveSessionAsync(SessionRecord session, CancellationToken cancellationToken);

    /// <summary>The thread's transcript, kept by the service between its tasks' sandboxes.</summary>
    Task<TranscriptRecord?> GetTranscriptAsync(string agent, string repo, string thread, CancellationToken cancellationToken);

    Task SaveTranscriptAsync(TranscriptRecord transcript, CancellationToken cancellationToken);
}
