using ClaudeHooks.Config;

namespace ClaudeHooks.Containers;

/// <summary>
/// Reads an agent's secrets on the host at the moment an exec needs them, so rotating a file takes effect at
/// the next run. The values go only into that exec's environment.
/// </summary>
internal sealed class AgentCredentials(AgentsConfig config, ClaudeHooksPaths paths)
{
    public const string ForgeTokenVariable = "FORGE_TOKEN";

    public string ForgeTokenFile(AgentConfig agent) => paths.TokenFile(agent.Name);

    public string ReadForgeToken(AgentConfig agent) =>
        ReadSecretFile(ForgeTokenFile(agent), $"the {agent.Name} agent's forge token (user {agent.ForgeUser})");

    /// <summary>The environment of one exec in a sandbox: static settings, model endpoint, Claude auth and, when asked, the forge token.</summary>
    public IReadOnlyList<string> ExecEnvironment(AgentConfig agent, bool includeForgeToken, bool includeClaudeAuth = true)
    {
        var environment = new List<string>
        {
            $"HOME={ResourceNames.HomeMount}",
            $"CLAUDE_CONFIG_DIR={ResourceNames.SandboxClaudeConfigDir}",
            "DISABLE_AUTOUPDATER=1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
        };
        if (config.Model.BaseUrl is { } baseUrl)
        {
            environment.Add($"ANTHROPIC_BASE_URL={baseUrl.ToString().TrimEnd('/')}");
        }

        if (includeClaudeAuth && ClaudeAuthVariable(agent) is { } variable)
        {
            environment.Add($"{variable}={ReadClaudeAuth(agent)}");
        }

        if (includeForgeToken)
        {
            environment.Add($"{ForgeTokenVariable}={ReadForgeToken(agent)}");
        }

        return environment;
    }

    /// <summary>What the agent's Claude Code run gets in its sandbox: model endpoint and auth, and a git identity. No forge token.</summary>
    public IReadOnlyList<string> RunEnvironment(AgentConfig agent) => [.. ExecEnvironment(agent, includeForgeToken: false), .. Workdir.GitEnvironment.Agent(agent)];

    /// <summary>What the service's own git gets in the agent's container: the forge token, a credential helper bound to the task's host, and no config but the cache's.</summary>
    public IReadOnlyList<string> MaintenanceEnvironment(AgentConfig agent, string? forgeHost) =>
        [$"{ForgeTokenVariable}={ReadForgeToken(agent)}", .. Workdir.GitEnvironment.Maintenance(agent, forgeHost)];

    /// <summary>
    /// The variable carrying the agent's model credential, or null for a credentials directory, which the CLI
    /// reads from the read-only mount through <c>$CLAUDE_CONFIG_DIR/.credentials.json</c>.
    /// </summary>
    public static string? ClaudeAuthVariable(AgentConfig agent) => agent.ClaudeAuth.Kind switch
    {
        ClaudeAuthKind.OAuthTokenFile => "CLAUDE_CODE_OAUTH_TOKEN",
        ClaudeAuthKind.ApiKeyFile => "ANTHROPIC_API_KEY",
        _ => null,
    };

    public static string ReadClaudeAuth(AgentConfig agent) => ReadSecretFile(agent.ClaudeAuth.Path, agent.ClaudeAuth.Kind == ClaudeAuthKind.ApiKeyFile
        ? $"the {agent.Name} agent's Anthropic API key"
        : $"the {agent.Name} agent's Claude token (from 'claude setup-token')");

    /// <summary>Reads a one-line secret file, refusing a missing, empty or world-readable one with the fix.</summary>
    public static string ReadSecretFile(string path, string what)
    {
        if (!File.Exists(path))
        {
            throw new CredentialException($"{path}: not found; write {what} there and run 'chmod 600 {path}'");
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new CredentialException($"{path}: readable or writable by other users (mode {Convert.ToString((int)mode, 8)}); run 'chmod 600 {path}'");
        }

        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CredentialException($"{path}: cannot be read ({e.Message}); make it readable by the user running claude-hooks and 'chmod 600' it");
        }

        if (text.Length == 0)
        {
            throw new CredentialException($"{path}: empty; write {what} there");
        }

        if (text.Contains('\n', StringComparison.Ordinal) || text.Contains('\0', StringComparison.Ordinal))
        {
            throw new CredentialException($"{path}: holds more than one line; keep only {what}");
        }

        return text;
    }
}

internal sealed class CredentialException(string message) : Exception(message);
