using System.CommandLine;
using System.CommandLine.Invocation;

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
        root.Subcommands.Add(CompletionCommand.Create());
        return root;
    }

    /// <summary>Parses a command line. No response files: an argument such as <c>--npm @scope/name</c> is a value, never a file of arguments.</summary>
    public static ParseResult Parse(IReadOnlyList<string> args) => Build().Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });

    /// <summary>The variable that makes an unexpected error print the whole exception, for a bug report.</summary>
    public const string DebugVariable = "CLAUDE_HOOKS_DEBUG";

    /// <summary>
    /// Runs a parsed command line: a parse error is one message, a hint and <see cref="ExitCodes.Usage"/>; an error
    /// no verb expected is one line and <see cref="ExitCodes.Unexpected"/>, its stack trace only with <see cref="DebugVariable"/> set.
    /// </summary>
    public static async Task<int> InvokeAsync(ParseResult parse, InvocationConfiguration configuration, CancellationToken cancellationToken = default)
    {
        if (parse.Action is ParseErrorAction errors)
        {
            // Scripts read the error, people the hint; the whole help text would bury both.
            errors.ShowHelp = false;
            errors.Invoke(parse);
            await Console.Error.WriteLineAsync($"see '{CommandPath(parse.CommandResult)} --help'");
            return ExitCodes.Usage;
        }

        configuration.EnableDefaultExceptionHandler = false;
        try
        {
            return await parse.InvokeAsync(configuration, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("interrupted");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"error: unexpected {e.GetType().Name}: {Security.TerminalText.Neutralize(e.Message)}");
            if (Environment.GetEnvironmentVariable(DebugVariable) is { Length: > 0 } and not "0")
            {
                await Console.Error.WriteLineAsync(e.ToString());
            }
            else
            {
                await Console.Error.WriteLineAsync($"this is a bug in claude-hooks: please report it with the output of the same command run with {DebugVariable}=1");
            }

            return ExitCodes.Unexpected;
        }
    }

    /// <summary>The words that name a command, such as <c>claude-hooks task logs</c>.</summary>
    private static string CommandPath(System.CommandLine.Parsing.CommandResult? result)
    {
        var names = new List<string>();
        for (; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Add(result.Command is RootCommand ? "claude-hooks" : result.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
