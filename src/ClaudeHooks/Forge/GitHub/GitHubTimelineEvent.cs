namespace ClaudeHooks.Forge.GitHub;

/// <summary>
/// One event of GitHub's issue timeline; the assignment and review-request ones become Forgejo's timeline entries
/// (<c>actor</c> is who acted; <c>assignee</c> or <c>requested_reviewer</c> who was named), the rest are dropped.
/// </summary>
internal sealed record GitHubTimelineEvent(long? Id, string? Event, ForgeUser? Actor, ForgeUser? Assignee, ForgeUser? RequestedReviewer, DateTimeOffset? CreatedAt)
{
    public ForgeTimelineEntry? ToForge() => Event switch
    {
        "assigned" or "unassigned" => new ForgeTimelineEntry(Id ?? 0, ForgeTimelineEntry.Assignees, Actor, Assignee, Event == "unassigned", CreatedAt),
        "review_requested" or "review_request_removed" => new ForgeTimelineEntry(Id ?? 0, ForgeTimelineEntry.ReviewRequest, Actor, RequestedReviewer, Event == "review_request_removed", CreatedAt),
        _ => null,
    };
}
