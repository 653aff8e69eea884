namespace ClaudeHooks.Forge;

/// <summary>
/// What an agent authenticates with on one repository's forge: the token for REST and for git, the user name git's
/// basic authentication pairs it with, and when it stops working (null: not known to expire).
/// </summary>
internal sealed record ForgeCredential(string Token, string GitUser, DateTimeOffset? ExpiresAt);
