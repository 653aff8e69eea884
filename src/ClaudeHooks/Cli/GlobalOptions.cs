using System.CommandLine;

namespace ClaudeHooks.Cli;

internal static class GlobalOptions
{
    public static Option<string?> Config { get; } = new("--config")
    {
        Description = "Path to agents.json (default: $CLAUDE_HOOKS_CONFIG, then $CLAUDE_HOOKS_HOME/agents.json, then /etc/claude-hooks/agents.json, then the copy beside the executable)",
        Recursive = true,
    };

    public static Argument<string?> OptionalAgent() => new("agent")
    {
        Description = "One agent (default: all configured agents)",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public static Argument<string> RequiredAgent() => new("agent") { Description = "The agent's name, as in agents.json" };
}
