namespace ClaudeHooks.Dashboard;

/// <summary>Charts: tasks per day by outcome, cost per agent and per repository per day, duration percentiles per agent.</summary>
internal static class ChartPages
{
    public static RouteGroupBuilder MapChartPages(this RouteGroupBuilder ui) => ui;
}
