namespace ClaudeHooks.Forge;

/// <summary>The forge side of a task: which issue or pull request it serves, and the one tracking comment it keeps.</summary>
internal sealed record ForgeTask(string TaskId, string Repo, string Kind, long Number, string? HeadSha, string? Request, long? PullNumber, long? TrackingCommentId);
