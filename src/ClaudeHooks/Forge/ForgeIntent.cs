namespace ClaudeHooks.Forge;

/// <summary>
/// A forge write the service owes: recorded with the transition (or the earlier write) that causes it, carried out
/// afterwards by <see cref="ForgeOutbox"/>. <see cref="Key"/> is its idempotency key: one key, one effect on the
/// forge, however often the service crashes or the forge's answer is lost.
/// </summary>
internal sealed record ForgeIntent(string Key, string? TaskId, string Repo, string Agent, string Kind, string Payload)
{
    /// <summary>The task's tracking comment: created once (found again by its hidden marker), then edited.</summary>
    public const string Track = "track";

    /// <summary>The dev's pull request for its branch (found again by head and base).</summary>
    public const string OpenPull = "open_pull";

    /// <summary>Asks the reviewer account for a review (found again among the requested reviewers).</summary>
    public const string RequestReview = "request_review";

    /// <summary>The reviewer's verdict on the head it reviewed (found again by its hidden marker).</summary>
    public const string Review = "review";

    /// <summary>A comment on the issue or pull request (found again by its hidden marker).</summary>
    public const string Comment = "comment";

    /// <summary>The lead's merge of the approved head (found again by the pull request's merged state).</summary>
    public const string Merge = "merge";

    /// <summary>No write: the head moved before a review started, so the pull request's current head gets a review task of its own.</summary>
    public const string ReviewHead = "review_head";

    /// <summary>The merged pull request's branch (gone already counts as done).</summary>
    public const string DeleteBranch = "delete_branch";
}
