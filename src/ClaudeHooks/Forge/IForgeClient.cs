namespace ClaudeHooks.Forge;

/// <summary>
/// The forge seam: the REST calls the flows make, as one agent (its token). Forgejo/Gitea now; GitHub later.
/// A failure is a <see cref="ForgeApiException"/>; for a write, its <see cref="ForgeApiException.OutcomeUnknown"/> says
/// the forge may have applied it anyway, so its state is read (the list and find calls here) before sending it again.
/// </summary>
internal interface IForgeClient
{
    Task<ForgeUser> GetCurrentUserAsync(CancellationToken cancellationToken);

    Task<string> GetDefaultBranchAsync(string repo, CancellationToken cancellationToken);

    Task<string> GetPermissionAsync(string repo, string user, CancellationToken cancellationToken);

    Task<ForgeIssue> GetIssueAsync(string repo, long number, CancellationToken cancellationToken);

    Task<IReadOnlyList<ForgeIssue>> ListOpenIssuesAsync(string repo, CancellationToken cancellationToken);

    /// <summary>Every comment on an issue or pull request, oldest first (not review comments).</summary>
    Task<IReadOnlyList<ForgeComment>> ListCommentsAsync(string repo, long number, CancellationToken cancellationToken);

    Task<ForgeComment> CreateCommentAsync(string repo, long number, string body, CancellationToken cancellationToken);

    Task EditCommentAsync(string repo, long commentId, string body, CancellationToken cancellationToken);

    /// <summary>Opens a pull request, or returns the open one for the same branches (the forge answers 409).</summary>
    Task<ForgePull> CreateOrGetPullAsync(string repo, string head, string @base, string title, string body, CancellationToken cancellationToken);

    /// <summary>
    /// A pull request from <paramref name="head"/> into <paramref name="base"/>, in any state (check State and Merged;
    /// with several, the forge picks one); null when there is none.
    /// </summary>
    Task<ForgePull?> FindPullAsync(string repo, string head, string @base, CancellationToken cancellationToken);

    Task<ForgePull> GetPullAsync(string repo, long number, CancellationToken cancellationToken);

    Task<IReadOnlyList<ForgePull>> ListOpenPullsAsync(string repo, CancellationToken cancellationToken);

    Task RequestReviewAsync(string repo, long number, string reviewer, CancellationToken cancellationToken);

    Task<IReadOnlyList<ForgeReview>> ListReviewsAsync(string repo, long number, CancellationToken cancellationToken);

    Task<IReadOnlyList<ForgeReviewComment>> GetReviewCommentsAsync(string repo, long number, long reviewId, CancellationToken cancellationToken);

    Task<ForgeReview> CreateReviewAsync(string repo, long number, ReviewSubmission review, CancellationToken cancellationToken);

    /// <summary>Deletes a branch: true when it was deleted, false when it was already gone.</summary>
    Task<bool> DeleteBranchAsync(string repo, string branch, CancellationToken cancellationToken);

    Task<MergeResult> MergeAsync(string repo, long number, string style, string headSha, bool deleteBranch, CancellationToken cancellationToken);

    /// <summary>Every entry of an issue's or pull request's timeline (all pages), oldest first: who assigned whom, who asked whom to review.</summary>
    Task<IReadOnlyList<ForgeTimelineEntry>> ListTimelineAsync(string repo, long number, CancellationToken cancellationToken);
}
