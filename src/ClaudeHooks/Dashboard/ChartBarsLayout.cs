using System.Globalization;

namespace ClaudeHooks.Dashboard;

/// <summary>Lays out a stacked bar per day: the axis runs from 0 to a nice maximum; a zero draws nothing.</summary>
internal static class ChartBarsLayout
{
    /// <summary>The viewport: room on the left for the axis' labels, below for the days and the axis' name.</summary>
    public static readonly ChartArea Area = new(Width: 900, Height: 300, Left: 64, Top: 28, Right: 884, Bottom: 256);

    /// <summary>At most this many day labels, so they never overlap; the newest day is always labelled.</summary>
    private const int MaxDayLabels = 10;

    /// <summary>
    /// <paramref name="values"/> holds a row per day of <paramref name="dates"/> and in it a value per series.
    /// <paramref name="whole"/> says the values are counts (no fractional ticks); <paramref name="tick"/> writes an axis
    /// label, <paramref name="cell"/> a value in the tooltip and the table.
    /// </summary>
    public static ChartBarsView Build(
        string id,
        string title,
        string description,
        string axisLabel,
        IReadOnlyList<ChartSeries> series,
        IReadOnlyList<DateOnly> dates,
        IReadOnlyList<double[]> values,
        bool whole,
        Func<double, string> tick,
        Func<double, string> cell,
        string? empty)
    {
        var area = Area;
        var plot = area.Bottom - area.Top;
        var max = ChartScale.NiceMax(values.Count == 0 ? 0 : values.Max(row => row.Sum()));
        var ticks = ChartScale.Ticks(max, whole).Select(t => new ChartTick(tick(t), Round(area.Bottom - t / max * plot))).ToList();

        var slot = (area.Right - area.Left) / Math.Max(1, dates.Count);
        var width = Math.Max(1, slot * 0.72);
        var every = (int)Math.Ceiling(dates.Count / (double)MaxDayLabels);
        var columns = new List<ChartColumn>(dates.Count);
        for (var d = 0; d < dates.Count; d++)
        {
            var day = Day(dates[d]);
            var segments = new List<ChartSegment>();
            var below = 0d;
            for (var s = 0; s < series.Count; s++)
            {
                var value = values[d][s];
                if (value <= 0)
                {
                    continue;
                }

                // Both edges come from the running total, so rounding never opens a gap or an overlap in the stack.
                var bottom = Round(area.Bottom - below / max * plot);
                below += value;
                var top = Round(area.Bottom - below / max * plot);
                segments.Add(new ChartSegment(series[s].Class, series[s].Pattern, top, Round(bottom - top), $"{day} · {series[s].Name}: {cell(value)}"));
            }

            var x = area.Left + d * slot + (slot - width) / 2;
            var label = (dates.Count - 1 - d) % every == 0 ? dates[d].ToString("MM-dd", CultureInfo.InvariantCulture) : null;
            columns.Add(new ChartColumn(day, label, Round(x), Round(x + width / 2), Round(width), segments));
        }

        var head = new List<string> { "Day (UTC)" };
        head.AddRange(series.Select(s => s.Name));
        head.Add("Total");
        var rows = dates.Select((date, d) => new ChartTableRow(Day(date), [.. values[d].Select(cell), cell(values[d].Sum())])).ToList();
        var totals = Enumerable.Range(0, series.Count).Select(s => values.Sum(row => row[s])).ToList();
        var foot = new ChartTableRow("Total", [.. totals.Select(cell), cell(totals.Sum())]);

        return new ChartBarsView(id, title, description, axisLabel, area, series, ticks, columns, new ChartTable(head, rows, foot), empty);
    }

    public static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Hundredths of a unit are finer than any screen shows, and keep the markup short.</summary>
    public static double Round(double value) => Math.Round(value, 2);
}
