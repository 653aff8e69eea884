namespace ClaudeHooks.Forge;

internal sealed record ForgeUser(long Id, string Login);

internal sealed record ForgeIssue(long Number, string Title, string? Body, string State, IReadOnlyList<ForgeUser>? Assignees, ForgeUser User, object? PullRequest);

internal sealed record ForgeComment(long Id, string? Body, ForgeUser User);

/// <summary>A pull request's side; <paramref name="Repo"/> is the repository it lives in (a fork's for a fork's head), null when the forge no longer knows it.</summary>
internal sealed record ForgeBranch(string Ref, string Sha, ForgeRepositoryInfo? Repo = null);

internal sealed record ForgePull(
    long Number,
    string Title,
    string? Body,
    string State,
    bool Merged,
    bool? Mergeable,
    ForgeUser User,
    ForgeBranch Head,
    ForgeBranch Base,
    IReadOnlyList<ForgeUser>? RequestedReviewers,
    string? HtmlUrl,
    string? MergeCommitSha = null);

internal sealed record ForgeReview(long Id, ForgeUser? User, string State, string? Body, string? CommitId, bool Stale, bool Dismissed);

internal sealed record ForgeReviewComment(long Id, string Path, long Position, long OriginalPosition, string Body, ForgeUser? User);

internal sealed record ForgePermission(string Permission);

internal sealed record ForgeRepositoryInfo(string FullName, string DefaultBranch);

/// <summary>A review the service posts for the reviewer agent: Forgejo's event names, lines on the new side.</summary>
internal sealed record ReviewSubmission(string Event, string Body, string CommitId, IReadOnlyList<InlineComment> Comments);

internal sealed record InlineComment(string Path, long Line, string Body);

internal enum MergeResult
{
    Merged,
    TryAgainLater,
    Conflict,
}
