namespace ClaudeHooks.Config;

/// <summary>The validated contents of <c>config/agents.json</c>.</summary>
internal sealed record AgentsConfig(
    string FilePath,
    string ContainerPrefix,
    ImageSettings Images,
    ModelSettings Model,
    WorkdirSettings Workdir,
    ServiceSettings Service,
    ForgeSettings? Forge,
    IReadOnlyList<AgentConfig> Agents)
{
    /// <summary>
    /// The (first) agent with a role that may work on a forge repository (its <c>repositories</c> entry's
    /// <c>agents</c>, when it has one): the one the forge flows hand that repository's work to.
    /// </summary>
    public AgentConfig? ByRole(AgentRole role, string? forgeRepository = null)
    {
        var settings = forgeRepository is null ? null : ForForge(forgeRepository);
        return Agents.FirstOrDefault(a => a.Role == role && (settings?.Allows(a.Name) ?? true));
    }

    /// <summary>The <c>repositories</c> entries, owner/name keys first, then URL patterns in file order.</summary>
    public IReadOnlyList<RepositorySettings> Repositories { get; init; } = [];

    /// <summary>The <c>repositories</c> entry of a forge repository (by its owner/name key), or null.</summary>
    public RepositorySettings? ForForge(string fullName) =>
        Repositories.FirstOrDefault(r => !r.IsPattern && string.Equals(r.Key, fullName, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The <c>repositories</c> entry that applies to a repository: the forge repository's own entry when the URL is
    /// that repository's clone URL, else the first URL pattern that matches; null when none does.
    /// </summary>
    public RepositorySettings? RepositoryFor(ClaudeHooks.Workdir.RepositoryUrl repository)
    {
        foreach (var forge in Forge?.Repositories ?? [])
        {
            if (ForForge(forge.FullName) is { } own && SameRepository(forge, repository))
            {
                return own;
            }
        }

        return Repositories.FirstOrDefault(r => r.PatternMatches(repository));
    }

    /// <summary>Whether a forge repository's clone URL names the same repository.</summary>
    public bool SameRepository(ForgeRepository forge, ClaudeHooks.Workdir.RepositoryUrl repository)
    {
        try
        {
            // Forges ignore case in owner and repository names, so a URL spelled in other case is the same repository.
            return string.Equals(ClaudeHooks.Workdir.RepositoryUrl.Parse(forge.CloneUrl, Workdir.AllowLocalRepos).Key, repository.Key, StringComparison.OrdinalIgnoreCase);
        }
        catch (ClaudeHooks.Workdir.InvalidRepositoryException)
        {
            return false;
        }
    }

    public AgentConfig? ByForgeUser(string login) => Agents.FirstOrDefault(a => string.Equals(a.ForgeUser, login, StringComparison.OrdinalIgnoreCase));

    /// <summary>The <c>budgets</c> section: daily caps per agent and repository, and the loop breaker.</summary>
    public BudgetSettings Budgets { get; init; } = BudgetSettings.None;

    public const string DefaultPrefix = "claude-hooks";

    /// <summary>The host folder of the gateway's sockets (under the claude-hooks home); containers mount their own part of it.</summary>
    public string GatewayRoot { get; init; } = "";

    /// <summary>The host folder of the CA certificates sandboxes trust (see <see cref="Containers.SandboxTrust"/>).</summary>
    public string SandboxCaFolder { get; init; } = "";

    public AgentConfig? Find(string name) => Agents.FirstOrDefault(a => a.Name == name);

    /// <summary>The named agents, or all of them; an unknown name is an error naming the configured ones.</summary>
    public IReadOnlyList<AgentConfig> Select(string? name)
    {
        if (name is null)
        {
            return Agents;
        }

        return Find(name) is { } agent
            ? [agent]
            : throw new ConfigException([$"{FilePath}: no agent named \"{name}\"; configured agents: {string.Join(", ", Agents.Select(a => a.Name))}"]);
    }
}

/// <summary>
/// <c>images</c>: the default image (<see cref="DefaultSet"/> when the file names one), the operator's CA bundle, and the
/// images a task request may ask for (<c>selectable</c>; stack names stand for their images).
/// </summary>
internal sealed record ImageSettings(string Default, string? ExtraCaBundle)
{
    public bool DefaultSet { get; init; }

    public IReadOnlyList<string> Selectable { get; init; } = [];
}

internal sealed record ModelSettings(Uri? BaseUrl);

internal sealed record AgentConfig(
    string Name,
    AgentRole Role,
    string ForgeUser,
    string Image,
    ClaudeAuth ClaudeAuth,
    ContainerSettings Container,
    RunnerSettings Runner,
    int MaxConcurrentTasks,
    int WarmSandboxes,
    IReadOnlyList<string> HardeningOverrides,
    IReadOnlyList<Gateway.EgressRule> EgressAllow)
{
    /// <summary>The agent's own <c>image</c> key, or null when it takes the default.</summary>
    public string? OwnImage { get; init; }

    /// <summary>
    /// The agent's GitHub App (<c>github_app</c>): on GitHub repositories it acts as the App, with an installation token
    /// minted for the repository, instead of the token in its token file. Null: the token file (a fine-grained token).
    /// </summary>
    public GitHubAppSettings? GitHubApp { get; init; }

    /// <summary>Whether the agent runs Claude Code as a host process instead of in a sandbox (<c>container.runtime: "local"</c>).</summary>
    public bool IsLocal => Container.Runtime == ContainerSettings.LocalRuntime;
}

internal enum AgentRole
{
    Lead,
    Dev,
    Reviewer,
}

internal enum ClaudeAuthKind
{
    OAuthTokenFile,
    ApiKeyFile,
    CredentialsDirectory,
}

/// <summary>How an agent authenticates to the model. Paths are absolute (resolved against the claude-hooks home).</summary>
internal sealed record ClaudeAuth(ClaudeAuthKind Kind, string Path, string ConfigKey);
