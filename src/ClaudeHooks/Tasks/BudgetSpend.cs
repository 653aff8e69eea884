namespace ClaudeHooks.Tasks;

/// <summary>What the gateway counted for one task (or one agent or repository in a day): dollars, model responses and tokens.</summary>
internal sealed record BudgetSpend(decimal Usd, long Requests, long InputTokens, long OutputTokens, long CacheCreationTokens, long CacheReadTokens)
{
    public static BudgetSpend Zero { get; } = new(0, 0, 0, 0, 0, 0);
}
