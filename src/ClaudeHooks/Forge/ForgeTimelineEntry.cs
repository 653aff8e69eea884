namespace ClaudeHooks.Forge;

/// <summary>
/// One entry of an issue's or pull request's timeline (Forgejo's <c>TimelineComment</c>). For <c>assignees</c> and
/// <c>review_request</c> entries, <paramref name="User"/> is who acted, <paramref name="Assignee"/> who was assigned or
/// asked to review, and <paramref name="RemovedAssignee"/> whether that was taken back.
/// </summary>
internal sealed record ForgeTimelineEntry(long Id, string Type, ForgeUser? User, ForgeUser? Assignee, bool RemovedAssignee, DateTimeOffset? CreatedAt)
{
    public const string Assignees = "assignees";
    public const string ReviewRequest = "review_request";
}
