using System.Collections.Concurrent;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Forge.GitHub;

namespace ClaudeHooks.Forge;

/// <summary>
/// The credential an agent uses on a repository, for the service's REST calls and the gateway's git: the agent's token
/// file, or on GitHub, for an agent with a <c>github_app</c>, an installation token minted for that one repository. A
/// minted token is kept per scope (the service's calls, or one task) until shortly before it expires, so each task
/// pushes with a token of its own that ends with it or within the hour.
/// </summary>
internal sealed class ForgeCredentials(ClaudeHooksPaths paths, GitHubAppTokens? apps, TimeProvider time)
{
    /// <summary>The scope of the service's own REST calls.</summary>
    public const string ServiceScope = "service";

    /// <summary>A minted token is replaced this long before it expires, so no request starts with one about to end.</summary>
    public static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<(string Agent, string Repo, string Scope), ForgeCredential> _minted = new();

    public async ValueTask<ForgeCredential> GetAsync(AgentConfig agent, ForgeRepository? repository, string scope, CancellationToken cancellationToken)
    {
        if (repository is not { Kind: ForgeKind.GitHub } || agent.GitHubApp is not { } app)
        {
            // GitHub takes any user name beside a token; Forgejo wants the account's.
            var user = repository?.Kind == ForgeKind.GitHub ? "x-access-token" : agent.ForgeUser;
            return new ForgeCredential(new AgentCredentials(paths).ReadForgeToken(agent), user, null);
        }

        if (apps is null)
        {
            throw new CredentialException($"the {agent.Name} agent acts as GitHub App {app.AppId}, but this command cannot mint its tokens");
        }

        var key = (agent.Name, repository.FullName.ToLowerInvariant(), scope);
        if (_minted.TryGetValue(key, out var kept) && kept.ExpiresAt - RenewBefore > time.GetUtcNow())
        {
            return kept;
        }

        var minted = await apps.MintAsync(agent, app, repository, cancellationToken);
        _minted[key] = minted;
        Sweep();
        return minted;
    }

    /// <summary>Forgets a scope's tokens (a task that ended); they expire on GitHub within the hour.</summary>
    public void Forget(string scope)
    {
        foreach (var key in _minted.Keys.Where(k => k.Scope == scope))
        {
            _minted.TryRemove(key, out _);
        }
    }

    private void Sweep()
    {
        var now = time.GetUtcNow();
        foreach (var (key, value) in _minted.Where(e => e.Value.ExpiresAt <= now))
        {
            _minted.TryRemove(new KeyValuePair<(string, string, string), ForgeCredential>(key, value));
        }
    }
}
