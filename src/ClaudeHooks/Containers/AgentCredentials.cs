using ClaudeHooks.Config;

namespace ClaudeHooks.Containers;

/// <summary>
/// Reads an agent's secrets on the host at the moment the gateway needs them, so rotating a file takes effect at
/// the next request; and makes the environments of execs, which hold none of them.
/// </summary>
internal sealed class AgentCredentials(ClaudeHooksPaths paths)
{
    public string ForgeTokenFile(AgentConfig agent) => paths.TokenFile(agent.Name);

    public string ReadForgeToken(AgentConfig agent) =>
        ReadSecretFile(ForgeTokenFile(agent), $"the {agent.Name} agent's forge token (user {agent.ForgeUser})");

    /// <summary>
    /// The environment of the agent's Claude Code run in its sandbox: the model endpoint is the gateway, the
    /// credential a placeholder of the right kind, every other destination goes through the gateway as a proxy,
    /// and git commits carry the agent's forge user. Nothing here is a secret.
    /// </summary>
    public static IReadOnlyList<string> RunEnvironment(AgentConfig agent) =>
        RunEnvironment(agent, Gateway.HostGateway.LocalUrl, ResourceNames.HomeMount, ResourceNames.SandboxClaudeConfigDir);

    /// <summary>The same for a CLI that reaches the gateway at <paramref name="gateway"/> with a home of its own (a local agent's run on the host).</summary>
    public static IReadOnlyList<string> RunEnvironment(AgentConfig agent, string gateway, string home, string claudeConfigDirectory) =>
    [
        $"HOME={home}",
        $"CLAUDE_CONFIG_DIR={claudeConfigDirectory}",
        "DISABLE_AUTOUPDATER=1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
        $"ANTHROPIC_BASE_URL={gateway}",
        $"{Gateway.ModelCredential.PlaceholderVariable(agent)}={Gateway.ModelCredential.Placeholder}",
        $"HTTP_PROXY={gateway}",
        $"HTTPS_PROXY={gateway}",
        $"http_proxy={gateway}",
        $"https_proxy={gateway}",
        "NO_PROXY=127.0.0.1,localhost,::1",
        "no_proxy=127.0.0.1,localhost,::1",
        .. Workdir.GitEnvironment.Agent(agent),
    ];

    /// <summary>What the service's own git gets in the agent's container: this process's gateway socket, the task it works for, and no config but the cache's. No token.</summary>
    public static IReadOnlyList<string> MaintenanceEnvironment(AgentConfig agent, string taskKey, string gatewaySocket) =>
        Workdir.GitEnvironment.Maintenance(agent, taskKey, gatewaySocket);

    public static string ReadClaudeAuth(AgentConfig agent) => ReadSecretFile(agent.ClaudeAuth.Path, agent.ClaudeAuth.Kind == ClaudeAuthKind.ApiKeyFile
        ? $"the {agent.Name} agent's Anthropic API key"
        : $"the {agent.Name} agent's Claude token (from 'claude setup-token')");

    /// <summary>Reads a one-line secret file, refusing a missing, empty or world-readable one with the fix.</summary>
    public static string ReadSecretFile(string path, string what, bool singleLine = true)
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

        if ((singleLine && text.Contains('\n', StringComparison.Ordinal)) || text.Contains('\0', StringComparison.Ordinal))
        {
            throw new CredentialException($"{path}: holds more than one line; keep only {what}");
        }

        return text;
    }
}

internal sealed class CredentialException(string message) : Exception(message);
