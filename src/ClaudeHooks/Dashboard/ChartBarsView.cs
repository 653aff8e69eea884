namespace ClaudeHooks.Dashboard;

/// <summary>
/// A stacked bar chart over the days of the window. <see cref="Empty"/> says why there is nothing to draw; then the
/// figure shows that sentence instead of an empty plot.
/// </summary>
public sealed record ChartBarsView(
    string Id,
    string Title,
    string Description,
    string AxisLabel,
    ChartArea Area,
    IReadOnlyList<ChartSeries> Series,
    IReadOnlyList<ChartTick> Ticks,
    IReadOnlyList<ChartColumn> Columns,
    ChartTable Table,
    string? Empty);
