namespace ClaudeHooks.Api;

/// <summary>A signed, expiring, read-only dashboard link to one task.</summary>
internal sealed record TaskLink(string TaskId, string Path, string Url, DateTimeOffset ExpiresAt);
