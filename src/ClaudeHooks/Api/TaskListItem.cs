namespace ClaudeHooks.Api;

/// <summary>One task in a list.</summary>
internal sealed record TaskListItem(string Id, string Agent, string Repo, string Thread, string State, int Attempt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string StatusUrl)
{
    /// <summary>The CLI's total cost when reported, else the gateway's count; absent when nothing was spent.</summary>
    public decimal? CostUsd { get; init; }
}
