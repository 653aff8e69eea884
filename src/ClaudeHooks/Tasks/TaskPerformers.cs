namespace ClaudeHooks.Tasks;

/// <summary>The kinds of task, each carried out by its own performer.</summary>
internal static class TaskPerformers
{
    /// <summary>Claude Code runs in a sandbox of the agent.</summary>
    public const string Agent = "agent";

    /// <summary>The lead merges a pull request the service's own review approved; no model runs.</summary>
    public const string Merge = "merge";
}
