using ClaudeHooks.Config;

namespace ClaudeHooks.Workdir;

/// <summary>
/// Per-exec git settings, passed through <c>GIT_CONFIG_*</c> so nothing is written to a file. The service's own
/// git (fetch and push, in the agent's container, through the gateway) ignores every config file but the cache's
/// own; the agent's git (in its sandbox) gets an identity. Neither holds a secret.
/// </summary>
internal static class GitEnvironment
{
    /// <summary>
    /// The service's git: no global, system or XDG config, no hooks, no fsmonitor, no prompts, no credential
    /// helper (the gateway adds the token), and a header naming the task the gateway applies the policy of; a planted
    /// <c>~/.gitconfig</c> or <c>url.*.insteadOf</c> has no effect.
    /// </summary>
    public static IReadOnlyList<string> Maintenance(AgentConfig agent, string taskKey, string gatewaySocket) =>
    [
        "HOME=/nonexistent",
        "XDG_CONFIG_HOME=/nonexistent",
        "GIT_CONFIG_NOSYSTEM=1",
        "GIT_CONFIG_GLOBAL=/dev/null",
        "GIT_TERMINAL_PROMPT=0",
        "GIT_ASKPASS=/bin/false",
        "SSH_ASKPASS=/bin/false",
        "GIT_CONFIG_COUNT=4",
        "GIT_CONFIG_KEY_0=credential.helper",
        "GIT_CONFIG_VALUE_0=",
        "GIT_CONFIG_KEY_1=core.hooksPath",
        "GIT_CONFIG_VALUE_1=/dev/null",
        "GIT_CONFIG_KEY_2=core.fsmonitor",
        "GIT_CONFIG_VALUE_2=false",
        "GIT_CONFIG_KEY_3=http.extraHeader",
        $"GIT_CONFIG_VALUE_3={Gateway.HostGateway.TaskHeader}: {taskKey}",
        "GIT_ALLOW_PROTOCOL=http:file",
        $"GATEWAY_SOCKET={gatewaySocket}",
        $"FORGE_USER={agent.ForgeUser}",
    ];

    /// <summary>
    /// The agent's git in its sandbox: commits carry its forge user. (The image's /etc/gitconfig marks the read-only
    /// cache, owned by the maintenance user, as safe; git drops per-exec config for the local clone's other side.)
    /// </summary>
    public static IReadOnlyList<string> Agent(AgentConfig agent) =>
    [
        "GIT_TERMINAL_PROMPT=0",
        $"GIT_AUTHOR_NAME={agent.ForgeUser}",
        $"GIT_AUTHOR_EMAIL={agent.ForgeUser}@claude-hooks.invalid",
        $"GIT_COMMITTER_NAME={agent.ForgeUser}",
        $"GIT_COMMITTER_EMAIL={agent.ForgeUser}@claude-hooks.invalid",
    ];
}
