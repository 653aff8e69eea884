namespace ClaudeHooks.Tasks;

/// <summary>The token counts of one model response, as its <c>usage</c> reported them, and the model that answered.</summary>
internal sealed record BudgetUsage(string? Model, long InputTokens, long OutputTokens, long CacheCreationTokens, long CacheReadTokens)
{
    public bool IsEmpty => InputTokens == 0 && OutputTokens == 0 && CacheCreationTokens == 0 && CacheReadTokens == 0;
}
