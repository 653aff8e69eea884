using System.CommandLine;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Workdir;

namespace ClaudeHooks.Cli;

/// <summary><c>claude-hooks worktrees prune</c>: removes stale worktrees, keeping and reporting any with unpushed work.</summary>
internal static class WorktreesCommand
{
    public static Command Create()
    {
        var agent = GlobalOptions.OptionalAgent();
        var olderThan = new Option<string?>("--older-than") { Description = "Idle age that makes a worktree stale (default: workdir.stale_after)" };
        var prune = new Command("prune", "Remove worktrees idle longer than the stale age; never one with uncommitted or unpushed work") { agent, olderThan };
        prune.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var config = context.Config;
            var age = config.Workdir.StaleAfter;
            if (parse.GetValue(olderThan) is { } text && !Duration.TryParse(text, out age))
            {
                await Console.Error.WriteLineAsync($"error: --older-than \"{text}\" is not a duration; use a form such as \"12h\" or \"7d\"");
                return ExitCodes.InvalidConfig;
            }

            var docker = await context.ConnectAsync(cancellationToken);
            var manager = new WorktreeManager(new AgentExec(docker));
            foreach (var agentConfig in config.Select(parse.GetValue(agent)))
            {
                var results = await manager.CleanupAsync(ResourceNames.Container(config.ContainerPrefix, agentConfig.Name), agentConfig.Container.User, age, [], cancellationToken);
                foreach (var result in results)
                {
                    Console.WriteLine($"{agentConfig.Name}: {(result.Removed ? "removed" : "kept")} {result.Path}{(result.Removed ? "" : $" ({result.Detail})")}");
                }
            }

            return ExitCodes.Success;
        }));

        var command = new Command("worktrees", "Manage the agents' git worktrees");
        command.Subcommands.Add(prune);
        return command;
    }
}
