namespace ClaudeHooks.Forge;

/// <summary>The verdict a review task of the service posted on a pull request: for which head, and as which forge review.</summary>
internal sealed record ServiceVerdict(string TaskId, string HeadSha, string Verdict, long ReviewId);
