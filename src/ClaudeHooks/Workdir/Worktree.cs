namespace ClaudeHooks.Workdir;

internal sealed record Worktree(string Path, string Branch, bool Created);

internal sealed record WorktreeCleanup(string Path, bool Removed, string Detail);
