using ClaudeHooks.Dashboard;
using ClaudeHooks.Security;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class ChartViewsTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 14, 12, 0, 0, TimeSpan.Zero);
    private static readonly ChartWindow Window = ChartWindow.Parse(null, Now);
    private static readonly DateOnly Today = new(2026, 3, 14);

    [Fact]
    public void Build_TasksOnTwoDays_HasEveryDayOfTheWindowWithZerosDrawingNothing()
    {
        var view = Build(
            new ChartGroup(Today, "dev", "org/a", "succeeded", 3, 0.3, 3),
            new ChartGroup(Today.AddDays(-5), "dev", "org/a", "failed", 1, 0, 0));

        Assert.Equal(14, view.Outcomes.Columns.Count);
        Assert.Equal(14, view.Outcomes.Table.Rows.Count);
        Assert.Equal("2026-03-01", view.Outcomes.Table.Rows[0].Head);
        Assert.Equal(12, view.Outcomes.Columns.Count(c => c.Segments.Count == 0));
        Assert.Equal(["0", "0", "0", "0", "0", "0"], view.Outcomes.Table.Rows[0].Cells);
        Assert.Equal(["3", "0", "0", "0", "0", "3"], view.Outcomes.Table.Rows[13].Cells);
        Assert.Equal(4, view.Tasks);
    }

    [Fact]
    public void Build_Outcomes_ListsTheFiveEndStatesAndRunningOrQueuedOnlyWhenPresent()
    {
        var quiet = Build(new ChartGroup(Today, "dev", "org/a", "succeeded", 1, 0, 0));
        var busy = Build(new ChartGroup(Today, "dev", "org/a", "queued", 2, 0, 0));

        Assert.Equal(["succeeded", "failed", "timed_out", "cancelled", "interrupted"], quiet.Outcomes.Series.Select(s => s.Name));
        Assert.Equal(["succeeded", "failed", "timed_out", "cancelled", "interrupted", "queued"], busy.Outcomes.Series.Select(s => s.Name));
    }

    [Fact]
    public void Build_StackAtTheAxisMaximum_ReachesTheTopOfThePlotWithoutGaps()
    {
        var view = Build(
            new ChartGroup(Today, "dev", "org/a", "succeeded", 7, 0, 0),
            new ChartGroup(Today, "dev", "org/a", "failed", 2, 0, 0),
            new ChartGroup(Today, "dev", "org/a", "cancelled", 1, 0, 0));

        var area = view.Outcomes.Area;
        var segments = view.Outcomes.Columns[^1].Segments;
        Assert.Equal(["k-succeeded", "k-failed", "k-cancelled"], segments.Select(s => s.Class));
        Assert.Equal("10", view.Outcomes.Ticks[^1].Label);
        Assert.Equal(area.Top, segments[^1].Y, 2);
        Assert.Equal(area.Bottom, segments[0].Y + segments[0].Height, 2);
        Assert.Equal(segments[1].Y + segments[1].Height, segments[0].Y, 2);
        Assert.Equal("2026-03-14 · failed: 2", segments[1].Tip);
    }

    [Fact]
    public void Build_TenRepositories_DrawsTheTopEightByCostAndTheRestAsOther()
    {
        var groups = Enumerable.Range(1, 10).Select(i => new ChartGroup(Today, "dev", $"org/r{i:00}", "succeeded", 1, i, 1)).ToArray();

        var view = Build(groups);

        var series = view.RepoCost.Series;
        Assert.Equal(9, series.Count);
        Assert.Equal("org/r10", series[0].Name);
        Assert.Equal("other (2 repositories)", series[^1].Name);
        Assert.Equal("c-other", series[^1].Class);
        Assert.Equal(["$10.00", "$9.00", "$8.00", "$7.00", "$6.00", "$5.00", "$4.00", "$3.00", "$3.00", "$55.00"], view.RepoCost.Table.Rows[^1].Cells);
        Assert.Equal("$100", view.RepoCost.Ticks[^1].Label);
    }

    [Fact]
    public void Build_CostsAndUnknownCosts_SumPerAgentAndSayHowManyAreLeftOut()
    {
        var view = Build(
            new ChartGroup(Today, "dev", "org/a", "succeeded", 3, 0.75, 2),
            new ChartGroup(Today, "reviewer", "org/a", "failed", 1, 0.25, 1),
            new ChartGroup(Today, "reviewer", "org/a", "running", 1, 0, 0));

        Assert.Equal(["dev", "reviewer"], view.AgentCost.Series.Select(s => s.Name));
        Assert.Equal(["$0.7500", "$0.2500", "$1.00"], view.AgentCost.Table.Rows[^1].Cells);
        Assert.Contains("1 ended task has no recorded cost", view.AgentCost.Description);
        Assert.Null(view.AgentCost.Empty);
    }

    [Fact]
    public void Build_NoCostRecorded_SaysSoInsteadOfDrawing()
    {
        var view = Build(new ChartGroup(Today, "dev", "org/a", "succeeded", 3, 0, 0));

        Assert.Equal("No task created in the last 14 days has a recorded cost.", view.AgentCost.Empty);
        Assert.Equal("No task created in the last 14 days has ended yet.", view.Durations.Empty);
    }

    [Fact]
    public void Build_NoTasks_SaysNoTasksInTheWindow()
    {
        var view = Build();

        Assert.Equal(0, view.Tasks);
        Assert.Equal("No tasks in the last 14 days.", view.EmptyText);
    }

    [Fact]
    public void Build_RepositoryNameWithAToken_IsRedacted()
    {
        var token = "ghp_" + new string('A', 36);

        var view = Build(new ChartGroup(Today, "dev", $"org/{token}", "succeeded", 1, 1, 1));

        Assert.DoesNotContain(token, view.RepoCost.Series[0].Name);
        Assert.DoesNotContain(token, view.RepoCost.Description);
        Assert.Contains("[redacted:", view.RepoCost.Series[0].Name);
    }

    [Fact]
    public void Build_Durations_PlacesThreeBarsPerAgentOnARoundTimeAxis()
    {
        var view = ChartViews.Build(Window, new ChartData(
            [new ChartGroup(Today, "dev", "org/a", "succeeded", 1, 0, 0)],
            [new ChartDurations("reviewer", 4, 30_000, 90_000, 420_000), new ChartDurations("dev", 10, 1_000, 2_000, 3_000)]), SecretRedactor.FormatsOnly, Now);

        var durations = view.Durations;
        Assert.Equal(["dev", "reviewer"], durations.Rows.Select(r => r.Agent));
        Assert.Equal("Duration (min)", durations.AxisLabel);
        Assert.Equal("10 min", durations.Ticks[^1].Label);
        var p99 = durations.Rows[1].Bars[2];
        Assert.Equal("p99 7 min 0 s", p99.Text);
        Assert.Equal((durations.Area.Right - durations.Area.Left) * 0.7, p99.Width, 2);
        Assert.Equal(["reviewer", "4", "30 s", "1 min 30 s", "7 min 0 s"], [durations.Table.Rows[1].Head, .. durations.Table.Rows[1].Cells]);
    }

    private static ChartsView Build(params ChartGroup[] groups) =>
        ChartViews.Build(Window, new ChartData(groups, []), SecretRedactor.FormatsOnly, Now);
}
