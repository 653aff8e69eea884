using ClaudeHooks.Config;

namespace ClaudeHooks.Agents;

/// <summary>How publishing a task's commits changes its outcome, wherever the task ran.</summary>
internal static class PushOutcome
{
    /// <summary>Whether the agent's role pushes at all; the gateway would refuse any other role's push.</summary>
    public static bool Pushes(AgentConfig agent) => agent.Role == AgentRole.Dev;

    /// <summary>A role that pushes nothing: its local commits are dropped, and the outcome says so instead of failing.</summary>
    public static RunOutcome NotPushed(AgentConfig agent, RunOutcome outcome, bool hasCommits) => hasCommits
        ? outcome with { Reason = $"{outcome.Reason}; its local commits were not pushed: the {agent.Role.ToString().ToLowerInvariant()} role pushes nothing (agents.{agent.Name}.role)" }
        : outcome;

    public static RunOutcome Pushed(RunOutcome outcome, IReadOnlyList<PushedCommit> pushed, string branch) => outcome with
    {
        PushedCommits = pushed,
        Reason = pushed.Count == 0 ? $"{outcome.Reason}; no new commits to push" : $"{outcome.Reason}; pushed {pushed.Count} commit(s) to {branch}",
    };

    /// <summary>A push that failed fails a task that had otherwise succeeded.</summary>
    public static RunOutcome Failed(RunOutcome outcome, string why) => outcome.Status == RunStatus.Succeeded
        ? outcome with { Status = RunStatus.Failed, Reason = $"the agent finished but {why}" }
        : outcome with { Reason = $"{outcome.Reason}; its commits were not pushed: {why}" };
}
