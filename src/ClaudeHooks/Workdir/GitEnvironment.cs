using ClaudeHooks.Config;

namespace ClaudeHooks.Workdir;

/// <summary>
/// Per-exec git settings: a credential helper that answers from <c>$FORGE_TOKEN</c> (set through
/// <c>GIT_CONFIG_*</c>, so the token is in no argv, URL, .git/config or file), no interactive prompts, and the
/// agent's identity for commits.
/// </summary>
internal static class GitEnvironment
{
    public const string CredentialHelper = """!f() { test "$1" = get || exit 0; echo "username=${FORGE_USER:-git}"; echo "password=${FORGE_TOKEN}"; }; f""";

    public static IReadOnlyList<string> For(AgentConfig agent) =>
    [
        "GIT_TERMINAL_PROMPT=0",
        "GIT_CONFIG_COUNT=2",
        "GIT_CONFIG_KEY_0=credential.helper",
        "GIT_CONFIG_VALUE_0=",
        "GIT_CONFIG_KEY_1=credential.helper",
        $"GIT_CONFIG_VALUE_1={CredentialHelper}",
        $"FORGE_USER={agent.ForgeUser}",
        $"GIT_AUTHOR_NAME={agent.ForgeUser}",
        $"GIT_AUTHOR_EMAIL={agent.ForgeUser}@claude-hooks.invalid",
        $"GIT_COMMITTER_NAME={agent.ForgeUser}",
        $"GIT_COMMITTER_EMAIL={agent.ForgeUser}@claude-hooks.invalid",
    ];
}
