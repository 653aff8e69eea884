using ClaudeHooks.Dashboard;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class WorkPagesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Page_First_HoldsFiftyAndLinksOlder()
    {
        var view = WorkPages.Page(Items(120), 1, forgeConfigured: true);

        Assert.Equal(50, view.Items.Count);
        Assert.Equal(120L, view.Items[0].Number);
        Assert.False(view.HasNewer);
        Assert.True(view.HasOlder);
        Assert.Equal("/ui/work?page=2", view.OlderHref);
    }

    [Fact]
    public void Page_Last_HoldsTheRestAndLinksNewer()
    {
        var view = WorkPages.Page(Items(120), 3, forgeConfigured: true);

        Assert.Equal(20, view.Items.Count);
        Assert.True(view.HasNewer);
        Assert.False(view.HasOlder);
        Assert.Equal("/ui/work?page=2", view.NewerHref);
        Assert.Equal("/ui/work", WorkPages.Page(Items(120), 2, forgeConfigured: true).NewerHref);
    }

    [Fact]
    public void Page_BeyondTheEnd_IsEmpty()
    {
        var view = WorkPages.Page(Items(3), int.MaxValue, forgeConfigured: false);

        Assert.Empty(view.Items);
        Assert.False(view.HasOlder);
    }

    private static IReadOnlyList<WorkItemView> Items(int count) =>
        WorkChains.Group(
            Enumerable.Range(1, count).Select(i => new WorkTaskRow($"t{i}", "acme/web", "implement", i, null, null, null, "dev", "succeeded", $"issue-{i}",
                T0.AddMinutes(i), T0.AddMinutes(i), null, null, null, null, null)),
            _ => null,
            t => t);
}
