namespace ClaudeHooks.Config;

/// <summary><c>budgets.loop_breaker</c>: at most this many tasks per pull request within the window.</summary>
internal sealed record LoopBreakerSettings(int MaxTasksPerPullRequest, TimeSpan Window);
