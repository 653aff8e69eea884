using System.Globalization;

namespace ClaudeHooks.Dashboard;

/// <summary>
/// Lays out p50, p90 and p99 of each agent's durations as three horizontal bars on one time axis, each with its
/// value written after it, so the chart reads without the legend's colours.
/// </summary>
internal static class ChartRangesLayout
{
    private const double Width = 900;
    private const double Left = 150;
    private const double Right = 780;
    private const double Top = 28;
    private const double BarHeight = 12;
    private const double BarGap = 3;
    private const double RowGap = 16;
    private const double BelowPlot = 44;
    private const int MaxLabel = 20;

    public static readonly IReadOnlyList<ChartSeries> Series =
    [
        new("p50", "q-p50", ""),
        new("p90", "q-p90", "p-hatch"),
        new("p99", "q-p99", "p-dots"),
    ];

    public static ChartRangesView Build(string id, string title, string description, IReadOnlyList<ChartDurations> agents, string? empty)
    {
        var rowHeight = 3 * BarHeight + 2 * BarGap + RowGap;
        var bottom = Top + Math.Max(1, agents.Count) * rowHeight - RowGap + 8;
        var area = new ChartArea(Width, bottom + BelowPlot, Left, Top, Right, bottom);

        var (unitMs, unit) = Unit(agents.Count == 0 ? 0 : agents.Max(a => a.P99));
        var maxUnits = ChartScale.NiceMax(agents.Count == 0 ? 0 : agents.Max(a => a.P99) / unitMs);
        var max = maxUnits * unitMs;
        var span = Right - Left;
        var ticks = ChartScale.Ticks(maxUnits, whole: false)
            .Select(t => new ChartTick(t.ToString("0.##", CultureInfo.InvariantCulture) + " " + unit, ChartBarsLayout.Round(Left + t / maxUnits * span)))
            .ToList();

        var rows = new List<ChartRangeRow>(agents.Count);
        for (var a = 0; a < agents.Count; a++)
        {
            var agent = agents[a];
            var rowTop = Top + 4 + a * rowHeight;
            long[] values = [agent.P50, agent.P90, agent.P99];
            var bars = new List<ChartRangeBar>(3);
            for (var s = 0; s < 3; s++)
            {
                var y = rowTop + s * (BarHeight + BarGap);
                var width = ChartBarsLayout.Round(values[s] / max * span);
                var text = $"{Series[s].Name} {Format.Duration(values[s])}";
                bars.Add(new ChartRangeBar(Series[s].Class, Series[s].Pattern, Left, ChartBarsLayout.Round(y), width, BarHeight, text,
                    ChartBarsLayout.Round(Left + width + 6), ChartBarsLayout.Round(y + BarHeight - 2)));
            }

            var label = agent.Agent.Length <= MaxLabel ? agent.Agent : agent.Agent[..(MaxLabel - 1)] + "…";
            rows.Add(new ChartRangeRow(agent.Agent, label, ChartBarsLayout.Round(rowTop + 1.5 * BarHeight + BarGap + 4), bars));
        }

        var table = new ChartTable(
            ["Agent", "Ended tasks", "p50", "p90", "p99"],
            [.. agents.Select(a => new ChartTableRow(a.Agent, [a.Count.ToString("N0", CultureInfo.InvariantCulture), Format.Duration(a.P50), Format.Duration(a.P90), Format.Duration(a.P99)]))],
            null);
        return new ChartRangesView(id, title, description, $"Duration ({unit})", area, Series, ticks, rows, table, empty);
    }

    /// <summary>The unit the axis counts in, chosen by the longest p99, so its ticks are round numbers of it.</summary>
    public static (double Milliseconds, string Name) Unit(long longest) => longest switch
    {
        < 1_000 => (1, "ms"),
        < 60_000 => (1_000, "s"),
        < 3_600_000 => (60_000, "min"),
        _ => (3_600_000, "h"),
    };
}
