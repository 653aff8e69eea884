using System.ComponentModel;
using System.Text.Json;

namespace ClaudeHooks.Api;

/// <summary>A task's request, state, history and outcome; every text redacted as it leaves.</summary>
internal sealed record TaskDetail(
    string Id,
    string Agent,
    string Repo,
    string? BaseRef,
    string Thread,
    [property: Description("queued, running, succeeded, failed, cancelled, timed_out or interrupted.")] string State,
    int Attempt,
    string? Performer,
    DateTimeOffset? NotBefore,
    string? BaseCommit,
    string? Image,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    double? TimeoutSeconds,
    bool CancelRequested,
    string Prompt,
    IReadOnlyList<TaskTransitionView> History,
    [property: Description("Once the task ended: status, reason, summary (final_text), cost, turns, duration, token usage, branch, worktree, pushed_commits and more.")] JsonElement? Outcome,
    IReadOnlyList<TaskForgeWrite> ForgeWrites,
    string EventsUrl)
{
    [Description("The CLI's total_cost_usd when the run reported one, else what the gateway counted from the model's usage (so failed and stopped tasks have a cost too).")]
    public decimal? CostUsd { get; init; }

    [Description("What the gateway counted for this task from each model response's usage.")]
    public TaskMetered? Metered { get; init; }

    [Description("Why the task waits in the queue: a budget cap it is held by, and when that frees.")]
    public TaskBudgetHold? BudgetHold { get; init; }
}
