namespace ClaudeHooks.Dashboard;

/// <summary>What the charts draw, as read from the database for one window.</summary>
internal sealed record ChartData(IReadOnlyList<ChartGroup> Groups, IReadOnlyList<ChartDurations> Durations);
