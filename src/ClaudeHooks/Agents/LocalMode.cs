using ClaudeHooks.Config;

namespace ClaudeHooks.Agents;

/// <summary>
/// What running an agent on the host (<c>container.runtime: "local"</c>) means, said the same way by doctor, audit,
/// the service's startup log and <c>/api/health</c>: how the service runs, what a local task is not isolated from,
/// and which agents <c>serve</c> refuses because forge events would reach them.
/// </summary>
internal static class LocalMode
{
    public const string Docker = "docker";
    public const string Local = "local";
    public const string Mixed = "mixed";

    /// <summary>"docker" when every agent has sandboxes, "local" when every agent runs on the host, else "mixed".</summary>
    public static string Of(AgentsConfig config) =>
        config.Agents.All(a => a.IsLocal) ? Local : config.Agents.Any(a => a.IsLocal) ? Mixed : Docker;

    /// <summary>The agents that need the engine (those with sandboxes).</summary>
    public static IReadOnlyList<AgentConfig> Containerised(AgentsConfig config) => [.. config.Agents.Where(a => !a.IsLocal)];

    /// <summary>The one text that says, for every local agent, what it is not isolated from; null when no agent is local.</summary>
    public static string? Warning(AgentsConfig config)
    {
        var local = config.Agents.Where(a => a.IsLocal).Select(a => a.Name).ToList();
        return local.Count == 0 ? null
            : $"local mode: agent(s) {string.Join(", ", local)} run Claude Code as a host process, not in a sandbox: {string.Join("; ", Gaps(config.Agents.First(a => a.IsLocal)))}";
    }

    /// <summary>What a local agent's tasks are not isolated from, and exactly what is and is not cleaned up after them.</summary>
    public static IReadOnlyList<string> Gaps(AgentConfig agent) =>
    [
        HostUser.ServiceIsRoot
            ? $"it runs as host user {agent.Container.User} (agents.{agent.Name}.container.user) and can read and write whatever that user can (a person's ~/.claude.json, SSH keys and tokens included, if that user can read them)"
            : "it runs as the service's own user, so it can read every token and credential file under the claude-hooks home (the gateway's credentials with it), and whatever else that user can, a person's ~/.claude.json, SSH keys and tokens included; run the service as root with an unprivileged container.user to keep them apart",
        "the host's network is reachable directly: HTTP(S)_PROXY point at the gateway, but nothing stops a process from connecting anywhere else, so the egress allowlist and the egress log see only what uses the proxy",
        "while a task runs, any process on the host can connect to its gateway port (127.0.0.1, ephemeral) and act as that task: the model with the agent's credential, pushes to its branch, its allowlist",
        "no memory, CPU or process limits, no read-only root, no seccomp or namespaces: no-new-privs" + (HostUser.ServiceIsRoot ? " and no supplementary groups are" : " is") + " all the confinement there is",
        "Claude Code's managed settings are the host's /etc/claude-code (if any), not the image's",
        "other processes of the same user can read and change the task's folder while it runs",
        $"at the end, the task's folder (its home and checkout) is removed and every process of its user that is in the CLI's process group or session, or carries {LocalRunner.MarkerVariable} in its environment, is killed; a process that leaves the session and clears its environment survives, files written outside the folder (the user's home, /tmp) stay, and a service killed with SIGKILL leaves the CLI and the folder behind",
    ];

    /// <summary>
    /// The forge work a local agent would take: the flows of each forge repository that hand work to its role (or,
    /// with the mention flow, to any agent named in a comment). Empty without a forge section.
    /// </summary>
    public static IReadOnlyList<string> ForgeWork(AgentsConfig config, AgentConfig agent)
    {
        var work = new List<string>();
        foreach (var repository in config.Forge?.Repositories ?? [])
        {
            var flows = repository.Flows.Where(flow => flow switch
            {
                "implement" or "fix" => config.ByRole(AgentRole.Dev, repository.FullName) == agent,
                "review" => config.ByRole(AgentRole.Reviewer, repository.FullName) == agent,
                "merge" => config.ByRole(AgentRole.Lead, repository.FullName) == agent,
                "mention" => true,
                _ => false,
            }).Order(StringComparer.Ordinal).ToList();
            if (flows.Count > 0)
            {
                work.Add($"{repository.FullName} ({string.Join(", ", flows)})");
            }
        }

        return work;
    }

    /// <summary>Why <c>serve</c> refuses to start: a local agent that takes forge work without <c>container.allow_local_for_forge</c>.</summary>
    public static IReadOnlyList<string> ForgeRefusals(AgentsConfig config) =>
    [
        .. config.Agents.Where(a => a.IsLocal && !a.Container.AllowLocalForForge && ForgeWork(config, a).Count > 0).Select(a =>
            $"agent {a.Name} runs on the host (agents.{a.Name}.container.runtime \"local\") and would take forge work: {string.Join(", ", ForgeWork(config, a))}. "
            + "Forge events come from anyone who can open an issue or comment, and a local agent is not isolated from this machine; "
            + $"give it a container runtime, take it out of those flows, or set agents.{a.Name}.container.allow_local_for_forge to true to accept that"),
    ];
}
