namespace ClaudeHooks.Tasks;

/// <summary>Why a queued task is not claimed: the cap that holds it (its config key), the words a person reads, and when it frees.</summary>
internal sealed record BudgetHold(string ConfigKey, string Reason, DateTimeOffset Until);
