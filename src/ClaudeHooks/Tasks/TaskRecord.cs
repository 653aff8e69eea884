namespace ClaudeHooks.Tasks;

internal sealed record TaskRecord(
    string Id,
    string Agent,
    string Repo,
    string? BaseRef,
    string Thread,
    string Prompt,
    TaskState State,
    int Attempt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? OutcomeJson,
    TimeSpan? Timeout = null,
    bool CancelRequested = false,
    string? LeaseOwner = null,
    DateTimeOffset? LeaseExpiresAt = null,
    string? GuidanceRef = null,
    string Performer = TaskPerformers.Agent,
    DateTimeOffset? NotBefore = null,
    string? BaseCommit = null,
    string? Image = null);

internal sealed record TaskHistoryEntry(DateTimeOffset At, TaskState? From, TaskState To, string Reason);

/// <summary>One stored event of a run: its order, time, type and the JSON as the CLI wrote it (or the runner's own).</summary>
internal sealed record StoredEvent(string TaskId, long Seq, DateTimeOffset At, string Type, string Data);

/// <summary>What a task's stored events take: the UTF-8 bytes of their types and data, and whether a marker event is among them.</summary>
internal sealed record EventUsage(long Bytes, bool Marked);

/// <summary>The Claude Code session of one conversation thread, resumable only from the same checkout path.</summary>
internal sealed record SessionRecord(string Agent, string Repo, string Thread, string SessionId, string Worktree);

/// <summary>A thread's saved transcript: the session file Claude Code wrote, and the folder under <c>projects/</c> it lives in.</summary>
internal sealed record TranscriptRecord(string Agent, string Repo, string Thread, string SessionId, string ProjectDirectory, byte[] Data, DateTimeOffset SavedAt);

internal sealed record TaskQuery(TaskState? State, string? Agent, string? Repo, int Limit, DateTimeOffset? Before, string? BeforeId = null);

internal sealed record QueueStats(IReadOnlyDictionary<string, int> QueuedByAgent, int Running, TimeSpan? OldestQueuedAge);
