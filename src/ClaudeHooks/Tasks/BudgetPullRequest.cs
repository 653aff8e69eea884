namespace ClaudeHooks.Tasks;

/// <summary>
/// The pull request a task works on, for the loop breaker: a forge task's pull request (repository and number), or an
/// API task on a <c>pr-&lt;n&gt;</c> thread (the thread the forge flow gives a pull request's mentions) of its repository.
/// </summary>
internal sealed record BudgetPullRequest(string Repository, long Number, bool Forge)
{
    public string Name => $"{Repository}#{Number}";
}
