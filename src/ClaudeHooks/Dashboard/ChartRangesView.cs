namespace ClaudeHooks.Dashboard;

/// <summary>Duration percentiles per agent as horizontal bars on a shared time axis; <see cref="Empty"/> when no task has ended.</summary>
public sealed record ChartRangesView(
    string Id,
    string Title,
    string Description,
    string AxisLabel,
    ChartArea Area,
    IReadOnlyList<ChartSeries> Series,
    IReadOnlyList<ChartTick> Ticks,
    IReadOnlyList<ChartRangeRow> Rows,
    ChartTable Table,
    string? Empty);
