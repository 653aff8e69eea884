namespace ClaudeHooks.Dashboard;

/// <summary>
/// The charts page: the window (<see cref="DaysError"/> when <c>?days=</c> was refused), how many tasks it holds, and
/// each chart laid out in SVG coordinates, so the components only place what is computed here.
/// </summary>
public sealed record ChartsView(
    int Days,
    string? DaysError,
    DateOnly First,
    DateOnly Last,
    int Tasks,
    string EmptyText,
    ChartBarsView Outcomes,
    ChartBarsView AgentCost,
    ChartBarsView RepoCost,
    ChartRangesView Durations,
    DateTimeOffset At);
