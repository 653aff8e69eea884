namespace ClaudeHooks.Config;

/// <summary>
/// <c>budgets</c>: what agents and repositories may spend per UTC day (counted by the gateway from every model
/// response), and how many tasks one pull request may have within a window before a loop of agents triggering each
/// other is stopped. Per task, <c>runner.max_budget_usd</c> stays the CLI's own cap.
/// </summary>
internal sealed record BudgetSettings(
    decimal? AgentDefault,
    IReadOnlyDictionary<string, decimal> PerAgent,
    decimal? RepositoryDefault,
    IReadOnlyDictionary<string, decimal> PerRepository,
    LoopBreakerSettings? LoopBreaker)
{
    public const string AgentKey = "budgets.per_agent_per_day_usd";
    public const string RepositoryKey = "budgets.per_repository_per_day_usd";
    public const string LoopBreakerKey = "budgets.loop_breaker";
    public const string DefaultEntry = "default";

    public static BudgetSettings None { get; } = new(null, new Dictionary<string, decimal>(StringComparer.Ordinal), null, new Dictionary<string, decimal>(StringComparer.OrdinalIgnoreCase), null);

    /// <summary>The agent's daily cap and the config key that sets it, or null when it has none.</summary>
    public BudgetCap? AgentCap(string agent) =>
        PerAgent.TryGetValue(agent, out var own) ? new BudgetCap(own, $"{AgentKey}.{agent}")
        : AgentDefault is { } fallback ? new BudgetCap(fallback, HasAgentMap ? $"{AgentKey}.{DefaultEntry}" : AgentKey)
        : null;

    /// <summary>Whether <c>per_agent_per_day_usd</c> was written as a map (its default then has a key of its own).</summary>
    public bool HasAgentMap { get; init; }

    /// <summary>
    /// The daily cap of a repository (its key <c>host/owner/name</c>): an entry naming it as <c>owner/name</c> or in
    /// full, else the default; null when neither is set.
    /// </summary>
    public BudgetCap? RepositoryCap(string repositoryKey)
    {
        foreach (var (key, cap) in PerRepository)
        {
            if (key != DefaultEntry && Matches(key, repositoryKey))
            {
                return new BudgetCap(cap, $"{RepositoryKey}.{key}");
            }
        }

        return RepositoryDefault is { } fallback ? new BudgetCap(fallback, $"{RepositoryKey}.{DefaultEntry}") : null;
    }

    private static bool Matches(string entry, string repositoryKey) =>
        string.Equals(entry, repositoryKey, StringComparison.OrdinalIgnoreCase)
        || repositoryKey.EndsWith("/" + entry, StringComparison.OrdinalIgnoreCase);
}
