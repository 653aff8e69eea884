namespace ClaudeHooks.Dashboard;

/// <summary>
/// A forge issue (or a pull request the agents only reviewed) and everything the agents did for it, in time order:
/// issue → implement → pull request → review rounds → fixes → merge. <paramref name="Kind"/> is <c>issue</c> or
/// <c>pull</c>; <paramref name="Pulls"/> are the pull requests the item's implement tasks opened. The totals add
/// what each run reported (null when none reported it).
/// </summary>
public sealed record WorkItemView(
    string Repo,
    long Number,
    string Kind,
    string? ForgeUrl,
    IReadOnlyList<long> Pulls,
    IReadOnlyList<WorkStep> Steps,
    int Tasks,
    decimal? TotalCostUsd,
    long? TotalDurationMs,
    DateTimeOffset FirstActivity,
    DateTimeOffset LastActivity,
    string LatestKind,
    string LatestState)
{
    public string Title => Kind == "issue" ? $"Issue #{Number}" : $"Pull request #{Number}";
}
