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
    /// <summary>The (first) agent with a role, which the forge flows hand work to.</summary>
    public AgentConfig? ByRole(AgentRole role) => Agents.FirstOrDefault(a => a.Role == role);

    public AgentConfig? ByForgeUser(string login) => Agents.FirstOrDefault(a => string.Equals(a.ForgeUser, login, StringComparison.OrdinalIgnoreCase));

    public const string DefaultPrefix = "claude-hooks";

    /// <summary>The host folder of the gateway's sockets (under the claude-hooks home); containers mount their own part of it.</summary>
    public string GatewayRoot { get; init; } = "";

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

internal sealed record ImageSettings(string Default, string? ExtraCaBundle);

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
    IReadOnlyList<Gateway.EgressRule> EgressAllow);

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
