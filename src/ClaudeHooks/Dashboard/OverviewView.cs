namespace ClaudeHooks.Dashboard;

/// <summary>The overview: each agent, what runs now, the queues, and what health reports as wrong (each problem says its fix).</summary>
public sealed record OverviewView(
    IReadOnlyList<AgentRow> Agents,
    IReadOnlyList<RunningRow> Running,
    IReadOnlyList<QueueRow> Queues,
    IReadOnlyList<string> Problems,
    IReadOnlyList<TaskRow> Recent,
    string Mode,
    string? LocalModeWarning,
    TimeSpan? OldestQueuedAge,
    DateTimeOffset At);

public sealed record AgentRow(string Name, string Role, string Mode, string Container, string State, string Health, string Image, int RunningSandboxes, int WarmSandboxes)
{
    public bool Healthy => State is "running" or "host" && Health is "healthy" or "-" or "none" or "";
}

/// <summary>A task running now; turns and output tokens are counted from its events so far (the cost arrives with its result).</summary>
public sealed record RunningRow(string TaskId, string Agent, string Repo, string Thread, TimeSpan Elapsed, int Turns, long OutputTokens, decimal? CostUsd);

public sealed record QueueRow(string Agent, int Queued);

/// <summary>One task in a list.</summary>
public sealed record TaskRow(string Id, string Agent, string Repo, string Thread, string State, int Attempt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string Summary)
{
    /// <summary>The CLI's own total when the run reported one, else what the gateway counted; null when nothing was spent.</summary>
    public decimal? CostUsd { get; init; }
}
