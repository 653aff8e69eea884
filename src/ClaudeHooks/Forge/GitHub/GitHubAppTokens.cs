using ClaudeHooks.Config;

namespace ClaudeHooks.Forge.GitHub;

/// <summary>Mints GitHub App installation tokens: an RS256 JWT from the App's key, the repository's installation, a token scoped to it.</summary>
internal sealed class GitHubAppTokens(HttpClient http, TimeProvider time)
{
    public Task<ForgeCredential> MintAsync(AgentConfig agent, GitHubAppSettings app, ForgeRepository repository, CancellationToken cancellationToken) =>
        throw new NotImplementedException($"{http}{time}{agent}{app}{repository}{cancellationToken}");
}
