namespace ClaudeHooks.Api;

/// <summary>A task's model spend as the gateway counted it.</summary>
internal sealed record TaskMetered(decimal CostUsd, long Requests, long InputTokens, long OutputTokens, long CacheCreationTokens, long CacheReadTokens);
