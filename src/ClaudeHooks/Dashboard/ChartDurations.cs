namespace ClaudeHooks.Dashboard;

/// <summary>One agent's ended tasks in the window and the nearest-rank percentiles of their durations, in milliseconds.</summary>
internal sealed record ChartDurations(string Agent, int Count, long P50, long P90, long P99);
