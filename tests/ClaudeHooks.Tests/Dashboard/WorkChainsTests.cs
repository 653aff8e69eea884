using ClaudeHooks.Dashboard;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class WorkChainsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly Uri Forge = new("https://forge.example/");

    [Fact]
    public void Group_ImplementThatOpenedAPull_JoinsThePullsTasksIntoTheIssuesItemInTimeOrder()
    {
        var rows = new[]
        {
            Row("m1", "merge", 7, at: 50, pull: 7),
            Row("r1", "review", 7, at: 20, pull: 7, verdict: "REQUEST_CHANGES"),
            Row("i1", "implement", 3, at: 0, pull: 7, pullOpenedAt: 15),
            Row("f1", "fix", 7, at: 30, pull: 7),
            Row("r2", "review", 7, at: 40, pull: 7, verdict: "APPROVED"),
        };

        var item = Assert.Single(Group(rows));

        Assert.Equal(("acme/web", 3L, "issue"), (item.Repo, item.Number, item.Kind));
        Assert.Equal([7L], item.Pulls);
        Assert.Equal(["issue", "implement", "pull", "review", "fix", "review", "merge"], item.Steps.Select(s => s.Step));
        Assert.Equal([null, "i1", null, "r1", "f1", "r2", "m1"], item.Steps.Select(s => s.TaskId));
        Assert.Equal(T0.AddMinutes(15), item.Steps[2].At);
        Assert.Equal(["changes requested", "approved"], item.Steps.Where(s => s.Step == "review").Select(s => s.VerdictText));
        Assert.Equal(("merge", "succeeded"), (item.LatestKind, item.LatestState));
        Assert.Equal(5, item.Tasks);
    }

    [Fact]
    public void Group_PullNoImplementOpened_IsAnItemOfItsOwn()
    {
        var rows = new[]
        {
            Row("i1", "implement", 3, at: 0, pull: 7),
            Row("r9", "review", 12, at: 5, pull: 12),
        };

        var items = Group(rows);

        Assert.Equal([(12L, "pull"), (3L, "issue")], items.Select(i => (i.Number, i.Kind)));
        var pull = items[0];
        Assert.Equal(["pull", "review"], pull.Steps.Select(s => s.Step));
        Assert.Equal("https://forge.example/acme/web/pulls/12", pull.ForgeUrl);
    }

    [Fact]
    public void Group_Totals_AddWhatEachRunReported()
    {
        var rows = new[]
        {
            Row("i1", "implement", 3, at: 0, pull: 7, cost: 0.25m, duration: 60_000),
            Row("r1", "review", 7, at: 10, pull: 7, cost: 0.0125m, duration: 30_500),
            Row("m1", "merge", 7, at: 20, pull: 7, cost: null, duration: null),
        };

        var item = Assert.Single(Group(rows));

        Assert.Equal(0.2625m, item.TotalCostUsd);
        Assert.Equal(90_500, item.TotalDurationMs);
    }

    [Fact]
    public void Group_NoRunReportedFigures_TotalsAreNull()
    {
        var item = Assert.Single(Group([Row("i1", "implement", 3, at: 0, cost: null, duration: null, state: "queued")]));

        Assert.Null(item.TotalCostUsd);
        Assert.Null(item.TotalDurationMs);
    }

    [Fact]
    public void Group_Items_AreNewestActivityFirst()
    {
        var rows = new[]
        {
            Row("a", "implement", 1, at: 0, updated: 100),
            Row("b", "implement", 2, at: 10, updated: 20),
            Row("c", "review", 5, at: 30, updated: 40, pull: 5),
        };

        Assert.Equal([1L, 5L, 2L], Group(rows).Select(i => i.Number));
    }

    [Fact]
    public void Group_RepositoryInOtherCase_IsTheSameItem()
    {
        var rows = new[]
        {
            Row("i1", "implement", 3, at: 0, pull: 7),
            Row("r1", "review", 7, at: 10, pull: 7) with { Repo = "ACME/Web" },
        };

        var item = Assert.Single(Group(rows));

        Assert.Equal("acme/web", item.Repo);
        Assert.Equal(2, item.Tasks);
    }

    [Fact]
    public void Group_MentionOnThePull_JoinsTheIssuesItem_AndOnAnIssueItsOwn()
    {
        var rows = new[]
        {
            Row("i1", "implement", 3, at: 0, pull: 7),
            Row("n1", "mention", 7, at: 10) with { Thread = "issue-3" },
            Row("n2", "mention", 9, at: 20) with { Thread = "issue-9" },
        };

        var items = Group(rows);

        Assert.Equal(["issue", "mention"], items.Single(i => i.Number == 9).Steps.Select(s => s.Step));
        Assert.Equal(["issue", "implement", "pull", "mention"], items.Single(i => i.Number == 3).Steps.Select(s => s.Step));
        Assert.Equal("https://forge.example/acme/web/pulls/7", items.Single(i => i.Number == 3).Steps[^1].ForgeUrl);
    }

    [Fact]
    public void Group_Steps_LinkTheForgeAndTheDelivery()
    {
        var rows = new[] { Row("i1", "implement", 3, at: 0, pull: 7) with { DeliveryId = "d-1" }, Row("r1", "review", 7, at: 20, pull: 7) };

        var steps = Assert.Single(Group(rows)).Steps;

        Assert.Equal(
            ["https://forge.example/acme/web/issues/3", "https://forge.example/acme/web/issues/3", "https://forge.example/acme/web/pulls/7", "https://forge.example/acme/web/pulls/7"],
            steps.Select(s => s.ForgeUrl));
        Assert.Equal([null, "d-1", null, null], steps.Select(s => s.DeliveryId));
    }

    [Fact]
    public void Group_RepositoryNotConfigured_HasNoForgeLinks()
    {
        var items = WorkChains.Group([Row("i1", "implement", 3, at: 0, pull: 7)], _ => null, t => t);

        Assert.All(items.Single().Steps, s => Assert.Null(s.ForgeUrl));
        Assert.Null(items.Single().ForgeUrl);
    }

    [Fact]
    public void Group_Texts_AreRedacted()
    {
        var items = WorkChains.Group([Row("i1", "implement", 3, at: 0) with { Reason = "token s3cret leaked" }], _ => Forge, t => t.Replace("s3cret", "[redacted]", StringComparison.Ordinal));

        Assert.Equal("token [redacted] leaked", items.Single().Steps[1].Reason);
    }

    [Fact]
    public void Find_PullOpenedByAnImplement_FindsTheIssuesItem()
    {
        var items = Group([Row("i1", "implement", 3, at: 0, pull: 7), Row("r1", "review", 7, at: 10, pull: 7)]);

        Assert.Equal(3, WorkChains.Find(items, "ACME/web", 7)?.Number);
        Assert.Equal(3, WorkChains.Find(items, "acme/web", 3)?.Number);
        Assert.Null(WorkChains.Find(items, "acme/web", 8));
        Assert.Null(WorkChains.Find(items, "acme/other", 3));
    }

    private static IReadOnlyList<WorkItemView> Group(IEnumerable<WorkTaskRow> rows) => WorkChains.Group(rows, _ => Forge, t => t);

    private static WorkTaskRow Row(
        string id, string kind, long number, int at, long? pull = null, string? verdict = null, decimal? cost = 0.01m, long? duration = 1000,
        string state = "succeeded", int? updated = null, int? pullOpenedAt = null) =>
        new(id, "acme/web", kind, number, pull, kind == "review" ? "0123456789abcdef" : null, verdict, kind == "review" ? "reviewer" : "dev", state,
            kind == "implement" ? $"issue-{number}" : $"pr-{number}", T0.AddMinutes(at), T0.AddMinutes(updated ?? at + 5), cost, duration, "done", null,
            pullOpenedAt is { } opened ? T0.AddMinutes(opened) : null);
}
