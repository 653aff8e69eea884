namespace ClaudeHooks.Dashboard;

/// <summary>One page of work items, newest activity first; <paramref name="Page"/> counts from 1.</summary>
public sealed record WorkListView(IReadOnlyList<WorkItemView> Items, int Page, int PageSize, int Total, bool ForgeConfigured)
{
    public bool HasNewer => Page > 1;

    public bool HasOlder => (long)Page * PageSize < Total;

    public string NewerHref => Page - 1 <= 1 ? "/ui/work" : $"/ui/work?page={Page - 1}";

    public string OlderHref => $"/ui/work?page={Page + 1}";
}
