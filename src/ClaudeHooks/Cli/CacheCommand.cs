using System.CommandLine;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Workdir;

namespace ClaudeHooks.Cli;

/// <summary>
/// <c>claude-hooks cache prune</c>: removes repository caches not used for a while. Checkouts live in task
/// sandboxes and go with them, so nothing here can touch a running task's files; a cache a task is fetching into or
/// pushing from is skipped.
/// </summary>
internal static class CacheCommand
{
    public static Command Create()
    {
        var agent = GlobalOptions.OptionalAgent();
        var olderThan = new Option<string?>("--older-than") { Description = "Idle age that makes a cache stale (default: workdir.stale_after)" };
        var json = CliJson.Option();
        var prune = new Command("prune", "Remove repository caches unused for longer than the stale age; never one a running task holds") { agent, olderThan, json };
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
            var cache = new RepositoryCache(new ContainerRuntime(docker));
            var live = await AuditCommand.LiveTaskKeysAsync(parse.GetValue(RunCommand.DataDirectory) ?? Persistence.Database.DefaultDataDirectory, cancellationToken);
            if (live is null)
            {
                await Console.Error.WriteLineAsync("error: no database in the data directory, so running tasks cannot be told apart; pass --data-dir (the service's)");
                return ExitCodes.InvalidConfig;
            }

            foreach (var agentConfig in config.Select(parse.GetValue(agent)))
            {
                foreach (var result in await cache.PruneAsync(ResourceNames.Container(config.ContainerPrefix, agentConfig.Name), age, live, cancellationToken))
                {
                    if (parse.GetValue(json))
                    {
                        CliJson.Write(new { Agent = agentConfig.Name, result.Repository, result.Path, result.Removed, Detail = result.Removed ? null : result.Detail });
                        continue;
                    }

                    Console.WriteLine($"{agentConfig.Name}: {(result.Removed ? "removed" : "kept")} {result.Repository} ({result.Path}){(result.Removed ? "" : $": {result.Detail}")}");
                }
            }

            return ExitCodes.Success;
        }));

        var command = new Command("cache", "Manage the agents' repository caches");
        command.Subcommands.Add(prune);
        return command;
    }
}
