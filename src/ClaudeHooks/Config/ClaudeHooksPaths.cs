namespace ClaudeHooks.Config;

/// <summary>
/// Host-side locations. Secrets live under the claude-hooks home (<c>$CLAUDE_HOOKS_HOME</c>, default
/// <c>~/.config/claude-hooks</c>) and never enter a container's configuration.
/// </summary>
internal sealed record ClaudeHooksPaths(string Home)
{
    public const string HomeVariable = "CLAUDE_HOOKS_HOME";
    public const string ConfigVariable = "CLAUDE_HOOKS_CONFIG";

    public string TokensDirectory => Path.Combine(Home, "tokens");

    public string TokenFile(string agent) => Path.Combine(TokensDirectory, agent);

    /// <summary>A relative path in the config is relative to the claude-hooks home.</summary>
    public string Resolve(string path) => Path.GetFullPath(ExpandHome(path), Home);

    public static ClaudeHooksPaths FromEnvironment()
    {
        var home = Environment.GetEnvironmentVariable(HomeVariable);
        return new ClaudeHooksPaths(Path.GetFullPath(string.IsNullOrWhiteSpace(home)
            ? Path.Combine(UserHome, ".config", "claude-hooks")
            : ExpandHome(home)));
    }

    /// <summary>--config, then $CLAUDE_HOOKS_CONFIG, then ./config/agents.json, then the copy beside the executable.</summary>
    public static string DefaultConfigFile(string? explicitPath)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return Path.GetFullPath(ExpandHome(explicitPath));
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(ConfigVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Path.GetFullPath(ExpandHome(fromEnvironment));
        }

        var local = Path.GetFullPath(Path.Combine("config", "agents.json"));
        return File.Exists(local) ? local : Path.Combine(AppContext.BaseDirectory, "config", "agents.json");
    }

    public static string UserHome => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static string ExpandHome(string path) =>
        path == "~" ? UserHome : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(UserHome, path[2..]) : path;
}
