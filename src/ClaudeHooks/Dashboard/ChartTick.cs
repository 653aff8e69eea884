namespace ClaudeHooks.Dashboard;

/// <summary>An axis tick: its label and where it falls on the axis (y for a vertical axis, x for a horizontal one).</summary>
public sealed record ChartTick(string Label, double At);
