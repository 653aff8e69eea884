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

    /// <summary>Where a system install keeps its config (the unit's <c>ConfigurationDirectory=claude-hooks</c>).</summary>
    public const string SystemConfigFile = "/etc/claude-hooks/agents.json";

    /// <summary>The one search order of every verb, <c>serve</c> included: see <see cref="FindConfigFile"/>.</summary>
    public static string DefaultConfigFile(string? explicitPath) => LocateConfigFile(explicitPath).File;

    /// <summary>The config file this process uses and which step of the search order chose it.</summary>
    public static (string File, string Origin) LocateConfigFile(string? explicitPath) =>
        FindConfigFile(explicitPath, Environment.GetEnvironmentVariable(ConfigVariable), FromEnvironment(), SystemConfigFile, AppContext.BaseDirectory);

    /// <summary>
    /// --config, then $CLAUDE_HOOKS_CONFIG, then $CLAUDE_HOOKS_HOME/agents.json, then /etc/claude-hooks/agents.json,
    /// then the copy beside the executable. The first two are taken even when the file is missing (an explicit choice
    /// fails loudly rather than falling back); the next two only when they exist. Nothing depends on the working
    /// directory, so the CLI in a shell and the service under systemd find the same file.
    /// </summary>
    public static (string File, string Origin) FindConfigFile(string? explicitPath, string? fromEnvironment, ClaudeHooksPaths paths, string systemFile, string executableDirectory)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return (Path.GetFullPath(ExpandHome(explicitPath)), "--config");
        }

        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return (Path.GetFullPath(ExpandHome(fromEnvironment)), "$" + ConfigVariable);
        }

        var inHome = Path.Combine(paths.Home, "agents.json");
        if (File.Exists(inHome))
        {
            return (inHome, "$" + HomeVariable);
        }

        return File.Exists(systemFile)
            ? (systemFile, "the system config")
            : (Path.Combine(executableDirectory, "config", "agents.json"), "the copy beside the executable");
    }

    public static string UserHome => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static string ExpandHome(string path) =>
        path == "~" ? UserHome : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(UserHome, path[2..]) : path;
}
