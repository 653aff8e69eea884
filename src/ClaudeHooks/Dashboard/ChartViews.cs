using System.Globalization;
using ClaudeHooks.Security;

namespace ClaudeHooks.Dashboard;

/// <summary>Turns a window's figures into the page's charts, with the sentences that summarise each one.</summary>
internal static class ChartViews
{
    /// <summary>Series beyond this many (agents or repositories, by cost) are drawn together as "other".</summary>
    public const int TopSeries = 8;

    /// <summary>
    /// The outcome series, bottom of the stack first. Neighbours never share a fill: a plain colour is followed by a
    /// hatched or dotted one, so the bars read apart without telling red from green. Running and queued appear only
    /// when the window has some.
    /// </summary>
    private static readonly ChartSeries[] States =
    [
        new("succeeded", "k-succeeded", ""),
        new("failed", "k-failed", "p-hatch"),
        new("timed_out", "k-timed_out", "p-dots"),
        new("cancelled", "k-cancelled", ""),
        new("interrupted", "k-interrupted", "p-hatch"),
        new("running", "k-running", ""),
        new("queued", "k-queued", "p-dots"),
    ];

    private static readonly HashSet<string> Optional = ["running", "queued"];

    public static ChartsView Build(ChartWindow window, ChartData data, SecretRedactor redactor, DateTimeOffset at)
    {
        var dates = window.Dates;
        var tasks = data.Groups.Sum(g => g.Tasks);
        var repos = new Dictionary<string, string>(StringComparer.Ordinal);
        string Repo(ChartGroup group) =>
            repos.TryGetValue(group.Repo, out var shown) ? shown : repos[group.Repo] = redactor.Redact(group.Repo).Text;

        return new ChartsView(window.Days, window.Error, window.First, window.Last, tasks, $"No tasks in {window.Phrase}.",
            Outcomes(window, dates, data.Groups),
            Costs("chart-agent-cost", "Cost per agent per day", "agent", "agents", window, dates, data.Groups, g => g.Agent),
            Costs("chart-repo-cost", "Cost per repository per day", "repository", "repositories", window, dates, data.Groups, Repo),
            Durations(window, data.Durations),
            at);
    }

    private static ChartBarsView Outcomes(ChartWindow window, IReadOnlyList<DateOnly> dates, IReadOnlyList<ChartGroup> groups)
    {
        var all = Matrix(dates.Count, States.Length);
        foreach (var group in groups)
        {
            var s = Array.FindIndex(States, state => state.Name == group.State);
            if (s >= 0)
            {
                all[Offset(window, group.Day)][s] += group.Tasks;
            }
        }

        var kept = Enumerable.Range(0, States.Length).Where(s => !Optional.Contains(States[s].Name) || all.Any(row => row[s] > 0)).ToList();
        var series = kept.Select(s => States[s]).ToList();
        var values = all.Select(row => kept.Select(s => row[s]).ToArray()).ToList();

        var total = values.Sum(row => row.Sum());
        var byState = string.Join(", ", series.Select((s, i) => $"{Count(values.Sum(row => row[i]))} {s.Name}"));
        var busiest = Enumerable.Range(0, dates.Count).MaxBy(d => values[d].Sum());
        var description = $"{Count(total)} tasks created from {ChartBarsLayout.Day(window.First)} to {ChartBarsLayout.Day(window.Last)} (UTC): {byState}."
            + (total > 0 ? $" The busiest day was {ChartBarsLayout.Day(dates[busiest])} with {Count(values[busiest].Sum())} {(values[busiest].Sum() == 1 ? "task" : "tasks")}." : "");
        return ChartBarsLayout.Build("chart-outcomes", "Tasks per day by outcome", description, "Tasks", series, dates, values,
            whole: true, Count, Count, total > 0 ? null : $"No tasks in {window.Phrase}.");
    }

    private static ChartBarsView Costs(string id, string title, string noun, string nouns, ChartWindow window, IReadOnlyList<DateOnly> dates,
        IReadOnlyList<ChartGroup> groups, Func<ChartGroup, string> key)
    {
        var costed = groups.Where(g => g.Costed > 0).Select(g => (g.Day, Key: key(g), g.CostUsd)).ToList();
        var ranked = costed.GroupBy(c => c.Key, StringComparer.Ordinal)
            .Select(g => (Name: g.Key, Total: g.Sum(c => c.CostUsd)))
            .OrderByDescending(g => g.Total).ThenBy(g => g.Name, StringComparer.Ordinal)
            .ToList();
        var top = ranked.Count > TopSeries ? ranked.Take(TopSeries).ToList() : ranked;
        var rest = ranked.Count - top.Count;
        var index = top.Select((t, i) => (t.Name, i)).ToDictionary(t => t.Name, t => t.i, StringComparer.Ordinal);

        // Alternate plain and hatched fills so neighbouring segments differ by more than their colour.
        var series = top.Select((t, i) => new ChartSeries(t.Name, $"c{i}", i % 2 == 1 ? "p-hatch" : "")).ToList();
        var other = $"other ({rest} {(rest == 1 ? noun : nouns)})";
        if (rest > 0)
        {
            series.Add(new ChartSeries(other, "c-other", "p-dots"));
        }

        var values = Matrix(dates.Count, series.Count);
        foreach (var (day, name, cost) in costed)
        {
            values[Offset(window, day)][index.TryGetValue(name, out var s) ? s : series.Count - 1] += cost;
        }

        var unknown = groups.Where(g => ChartReader.FinalStates.Contains(g.State)).Sum(g => g.Tasks - g.Costed);
        var shares = top.Select(t => $"{t.Name} {Money(t.Total)}").ToList();
        if (rest > 0)
        {
            shares.Add($"{other} {Money(ranked.Skip(TopSeries).Sum(r => r.Total))}");
        }

        var description = $"{Money(ranked.Sum(r => r.Total))} in all from {ChartBarsLayout.Day(window.First)} to {ChartBarsLayout.Day(window.Last)} (UTC); by {noun}: {string.Join(", ", shares)}."
            + (unknown > 0 ? $" {Count(unknown)} ended {(unknown == 1 ? "task has" : "tasks have")} no recorded cost and {(unknown == 1 ? "is" : "are")} left out." : "");
        var empty = costed.Count == 0 ? $"No task created in {window.Phrase} has a recorded cost." : null;
        return ChartBarsLayout.Build(id, title, description, "Cost (USD)", series, dates, values, whole: false, Tick, Money, empty);
    }

    private static ChartRangesView Durations(ChartWindow window, IReadOnlyList<ChartDurations> durations)
    {
        var agents = durations.OrderBy(d => d.Agent, StringComparer.Ordinal).ToList();
        var description = $"Durations of the tasks created from {ChartBarsLayout.Day(window.First)} to {ChartBarsLayout.Day(window.Last)} (UTC) that have ended, per agent: "
            + string.Join("; ", agents.Select(a => $"{a.Agent} p50 {Format.Duration(a.P50)}, p90 {Format.Duration(a.P90)}, p99 {Format.Duration(a.P99)} over {Count(a.Count)} {(a.Count == 1 ? "task" : "tasks")}"))
            + ".";
        var empty = agents.Count == 0 ? $"No task created in {window.Phrase} has ended yet." : null;
        return ChartRangesLayout.Build("chart-durations", "Duration percentiles per agent", description, agents, empty);
    }

    private static int Offset(ChartWindow window, DateOnly day) => day.DayNumber - window.First.DayNumber;

    private static List<double[]> Matrix(int rows, int columns) => [.. Enumerable.Range(0, rows).Select(_ => new double[columns])];

    private static string Count(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A cost as the rest of the dashboard writes it; nothing spent is "$0", not "$0.0000".</summary>
    public static string Money(double usd) => usd == 0 ? "$0" : Format.Cost((decimal)Math.Round(usd, 4));

    private static string Tick(double usd) => "$" + usd.ToString("0.######", CultureInfo.InvariantCulture);
}
