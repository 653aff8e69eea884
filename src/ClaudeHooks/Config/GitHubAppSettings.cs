namespace ClaudeHooks.Config;

/// <summary>A GitHub App an agent acts as: its id and the private key (PEM, on the host only) that signs its JWTs.</summary>
internal sealed record GitHubAppSettings(long AppId, string PrivateKeyFile);
