namespace ClaudeHooks.Forge.GitHub;

/// <summary>An inline review comment: GitHub gives file lines in <c>line</c>/<c>original_line</c> (positions are deprecated and may be null).</summary>
internal sealed record GitHubReviewComment(long Id, string Path, long? Line, long? OriginalLine, long? Position, long? OriginalPosition, string Body, ForgeUser? User)
{
    public ForgeReviewComment ToForge() => new(Id, Path, Line ?? Position ?? 0, OriginalLine ?? OriginalPosition ?? 0, Body, User);
}
