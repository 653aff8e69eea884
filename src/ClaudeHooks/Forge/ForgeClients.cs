using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Forge.GitHub;
using ClaudeHooks.Security;

namespace ClaudeHooks.Forge;

/// <summary>The one place a repository's kind picks its client: Forgejo's (Gitea too) or GitHub's.</summary>
internal static class ForgeClients
{
    public static IForgeClient Create(HttpClient http, AgentConfig agent, ForgeRepository repository, ForgeCredentials credentials, ClaudeHooksPaths paths, SecretRedactor? redactor) =>
        repository.Kind switch
        {
            ForgeKind.GitHub => new GitHubClient(http, repository.ApiUrl, ct => credentials.GetAsync(agent, repository, ForgeCredentials.ServiceScope, ct), redactor),
            _ => new ForgejoClient(http, repository.ForgeUrl, new AgentCredentials(paths).ReadForgeToken(agent), redactor),
        };
}
