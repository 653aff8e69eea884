namespace ClaudeHooks.Api;

/// <summary>The budget cap a queued task waits for, and when it frees.</summary>
internal sealed record TaskBudgetHold(string Reason, string ConfigKey, DateTimeOffset Until);
