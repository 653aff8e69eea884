using ClaudeHooks.Config;

namespace ClaudeHooks.Workdir;

/// <summary>
/// Per-exec git settings, passed through <c>GIT_CONFIG_*</c> so nothing is written to a file. The service's own
/// git (fetch and push, in the agent's container) ignores every config file but the cache's own and answers
/// credentials only for the task's forge host; the agent's git (in its sandbox) gets an identity and no secret.
/// </summary>
internal static class GitEnvironment
{
    /// <summary>Answers <c>get</c> with the forge token only when git asks for <c>$FORGE_HOST</c>; anything else gets nothing.</summary>
    public const string CredentialHelper = """!f() { test "$1" = get || exit 0; h=; while IFS='=' read -r k v; do [ "$k" = host ] && h=$v; done; [ -n "$h" ] && [ "$h" = "$FORGE_HOST" ] || exit 0; echo "username=${FORGE_USER:-git}"; echo "password=${FORGE_TOKEN}"; }; f""";

    /// <summary>
    /// The service's git: no global, system or XDG config, no hooks, no fsmonitor, no prompts, and a credential
    /// helper bound to <paramref name="forgeHost"/>; a planted <c>~/.gitconfig</c> or <c>url.*.insteadOf</c> has no effect.
    /// </summary>
    public static IReadOnlyList<string> Maintenance(AgentConfig agent, string? forgeHost) =>
    [
        "HOME=/nonexistent",
        "XDG_CONFIG_HOME=/nonexistent",
        "GIT_CONFIG_NOSYSTEM=1",
        "GIT_CONFIG_GLOBAL=/dev/null",
        "GIT_TERMINAL_PROMPT=0",
        "GIT_ASKPASS=/bin/false",
        "SSH_ASKPASS=/bin/false",
        "GIT_CONFIG_COUNT=5",
        "GIT_CONFIG_KEY_0=credential.helper",
        "GIT_CONFIG_VALUE_0=",
        "GIT_CONFIG_KEY_1=credential.helper",
        $"GIT_CONFIG_VALUE_1={CredentialHelper}",
        "GIT_CONFIG_KEY_2=core.hooksPath",
        "GIT_CONFIG_VALUE_2=/dev/null",
        "GIT_CONFIG_KEY_3=core.fsmonitor",
        "GIT_CONFIG_VALUE_3=false",
        "GIT_CONFIG_KEY_4=credential.useHttpPath",
        "GIT_CONFIG_VALUE_4=false",
        $"FORGE_HOST={forgeHost ?? ""}",
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
