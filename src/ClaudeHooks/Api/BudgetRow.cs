namespace ClaudeHooks.Api;

/// <summary>One agent's or repository's spend today against its cap (none when it has no cap).</summary>
internal sealed record BudgetRow(
    string Name,
    decimal SpentUsd,
    decimal? CapUsd,
    string? ConfigKey,
    decimal? RemainingUsd,
    bool Reached,
    long Requests,
    long InputTokens,
    long OutputTokens,
    long CacheCreationTokens,
    long CacheReadTokens);
