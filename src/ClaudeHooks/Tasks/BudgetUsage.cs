namespace ClaudeHooks.Tasks;

/// <summary>The token counts of one model response, as its <c>usage</c> reported them, and the model that answered.</summary>
internal sealed record BudgetUsage(string? Model, long InputTokens, long OutputTokens, long CacheCreationTokens, long CacheReadTokens)
{
    /// <summary>The part of <see cref="CacheCreationTokens"/> written to the one-hour cache, which is billed at twice input.</summary>
    public long CacheCreationOneHourTokens { get; init; }

    public bool IsEmpty => InputTokens == 0 && OutputTokens == 0 && CacheCreationTokens == 0 && CacheReadTokens == 0;

    /// <summary>Every input token of the request, cached or not: what the long-context price is decided on.</summary>
    public long PromptTokens => InputTokens + CacheCreationTokens + CacheReadTokens;
}
