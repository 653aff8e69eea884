namespace ClaudeHooks.Config;

/// <summary>A daily cap in US dollars and the config key that sets it.</summary>
internal sealed record BudgetCap(decimal Usd, string ConfigKey);
