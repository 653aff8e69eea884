namespace ClaudeHooks.Forge.GitHub;

/// <summary>A pull request review as GitHub lists it, read into Forgejo's states (APPROVED, REQUEST_CHANGES, COMMENT, PENDING).</summary>
internal sealed record GitHubReview(long Id, ForgeUser? User, string State, string? Body, string? CommitId)
{
    public ForgeReview ToForge() => new(
        Id,
        User,
        State switch
        {
            "CHANGES_REQUESTED" => "REQUEST_CHANGES",
            "COMMENTED" => "COMMENT",
            _ => State,
        },
        Body,
        CommitId,
        Stale: false,
        Dismissed: State == "DISMISSED");
}
