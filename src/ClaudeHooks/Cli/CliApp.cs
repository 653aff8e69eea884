using System.CommandLine;

namespace ClaudeHooks.Cli;

internal static class CliApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("claude-hooks: runs Claude Code agents in hardened per-agent containers");
        root.Options.Add(GlobalOptions.Config);
        root.Options.Add(RunCommand.DataDirectory);
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(TaskCommand.Create());
        root.Subcommands.Add(EgressCommand.Create());
        root.Subcommands.Add(CacheCommand.Create());
        root.Subcommands.Add(DbCommand.Create());
        root.Subcommands.Add(ContainersCommand.Create());
        root.Subcommands.Add(ImagesCommand.Create());
        root.Subcommands.Add(ForgeCommand.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(BudgetCommand.Create());
        return root;
    }

    /// <summary>Parses a command line. No response files: an argument such as <c>--npm @scope/name</c> is a value, never a file of arguments.</summary>
    public static ParseResult Parse(IReadOnlyList<string> args) => Build().Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
}
