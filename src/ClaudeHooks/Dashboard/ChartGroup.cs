namespace ClaudeHooks.Dashboard;

/// <summary>The tasks created on one UTC day for one agent, repository and state: how many, and what those that reported a cost cost.</summary>
internal sealed record ChartGroup(DateOnly Day, string Agent, string Repo, string State, int Tasks, double CostUsd, int Costed);
