namespace ClaudeHooks.Containers;

/// <summary>Names and labels of everything claude-hooks creates in the engine, so it can be found again by label.</summary>
internal static class ResourceNames
{
    public const string ManagedLabel = "org.claude-hooks.managed";
    public const string PrefixLabel = "org.claude-hooks.prefix";
    public const string AgentLabel = "org.claude-hooks.agent";
    public const string RoleLabel = "org.claude-hooks.role";
    public const string SpecHashLabel = "org.claude-hooks.spec-hash";
    public const string HomeFilesLabel = "org.claude-hooks.home-files";
    public const string KindLabel = "org.claude-hooks.kind";
    public const string TaskLabel = "org.claude-hooks.task";
    public const string PoolLabel = "org.claude-hooks.pool";
    public const string LayoutLabel = "org.claude-hooks.layout";
    public const string SandboxKind = "sandbox";

    /// <summary>The id of a sandbox's gateway socket (its folder under the gateway's root).</summary>
    public const string GatewayLabel = "org.claude-hooks.gateway";

    /// <summary>The bridge option that, set to false, stops traffic between containers of one network.</summary>
    public const string InterContainerOption = "com.docker.network.bridge.enable_icc";

    /// <summary>The state volume's layout: 3 holds only repository caches under keyed names (earlier ones held transcripts, worktrees or caches under readable names).</summary>
    public const string StateLayout = "3";

    public const string StateMount = "/state";
    public const string HomeMount = "/home/claude";
    /// <summary>The image's maintenance user: owns the repository cache and runs the service's own git; never runs agent code.</summary>
    public const string MaintenanceUser = "hooks";

    /// <summary>Where a sandbox keeps its checkouts (a volume of its own, removed with it).</summary>
    public const string WorkRoot = "/work";

    /// <summary>Claude Code's config directory inside a sandbox: in the fresh home, so nothing of it outlives the task.</summary>
    public const string SandboxClaudeConfigDir = "/home/claude/.claude";

    /// <summary>The uid of the image's <c>claude</c> user, which owns a sandbox's home.</summary>
    public const int AgentUid = 1000;

    public static string Container(string prefix, string agent) => $"{prefix}-{agent}";

    public static string StateVolume(string prefix, string agent) => $"{prefix}-{agent}-state";

    public static string HomeVolume(string prefix, string agent) => $"{prefix}-{agent}-home";

    public static string Network(string prefix, string agent) => $"{prefix}-{agent}-net";

    /// <summary>A task's sandbox: <c>&lt;prefix&gt;-&lt;agent&gt;-&lt;task&gt;</c>; a warm one not yet given a task is <c>&lt;prefix&gt;-&lt;agent&gt;-warm-&lt;id&gt;</c>.</summary>
    public static string Sandbox(string prefix, string agent, string taskKey) => $"{prefix}-{agent}-{taskKey}";

    public static string WarmSandbox(string prefix, string agent, string id) => $"{prefix}-{agent}-warm-{id}";

    /// <summary>The id agent processes and sandbox names know a task by (letters, digits, '-' and '_').</summary>
    public static string TaskKey(string taskId) => new(taskId.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_').ToArray());

    public static Dictionary<string, string> Labels(string prefix, string? agent = null)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ManagedLabel] = "true",
            [PrefixLabel] = prefix,
        };
        if (agent is not null)
        {
            labels[AgentLabel] = agent;
        }

        return labels;
    }

    /// <summary>An engine list filter matching every label given.</summary>
    public static IDictionary<string, IDictionary<string, bool>> Filter(string prefix, string? agent = null) =>
        new Dictionary<string, IDictionary<string, bool>>
        {
            ["label"] = Labels(prefix, agent).ToDictionary(l => $"{l.Key}={l.Value}", _ => true),
        };

    /// <summary>Whether a container is a task sandbox (not a per-agent container).</summary>
    public static bool IsSandbox(IDictionary<string, string>? labels) =>
        labels is not null && labels.TryGetValue(KindLabel, out var kind) && kind == SandboxKind;

    /// <summary>An engine list filter for the task sandboxes of a prefix (and agent).</summary>
    public static IDictionary<string, IDictionary<string, bool>> SandboxFilter(string prefix, string? agent = null)
    {
        var filter = Filter(prefix, agent);
        filter["label"][$"{KindLabel}={SandboxKind}"] = true;
        return filter;
    }
}
