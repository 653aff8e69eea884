namespace ClaudeHooks.Dashboard;

/// <summary>One agent's row of percentile bars; <see cref="Label"/> is the name as it fits beside the plot (the table has it whole).</summary>
public sealed record ChartRangeRow(string Agent, string Label, double LabelY, IReadOnlyList<ChartRangeBar> Bars);
