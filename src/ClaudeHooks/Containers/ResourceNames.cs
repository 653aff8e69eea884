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

    public const string StateMount = "/state";
    public const string HomeMount = "/home/claude";
    public const string CredentialsMount = "/run/claude-credentials";
    public const string ClaudeConfigDir = "/state/claude";

    public static string Container(string prefix, string agent) => $"{prefix}-{agent}";

    public static string StateVolume(string prefix, string agent) => $"{prefix}-{agent}-state";

    public static string HomeVolume(string prefix, string agent) => $"{prefix}-{agent}-home";

    public static string Network(string prefix, string agent) => $"{prefix}-{agent}-net";

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
}
