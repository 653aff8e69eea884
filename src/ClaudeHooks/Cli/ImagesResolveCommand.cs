using System.CommandLine;
using ClaudeHooks.Agents;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Workdir;
using Docker.DotNet;

namespace ClaudeHooks.Cli;

/// <summary>
/// <c>claude-hooks images resolve --agent A [--repo R] [--image I]</c>: prints every level of the image chain for a
/// task of agent A on repository R (a URL, or a forge repository's owner/name), which level decides, and whether
/// that image is built; the runtime and limits the task would run with come after.
/// </summary>
internal static class ImagesResolveCommand
{
    public static Command Create()
    {
        var agentOption = new Option<string>("--agent") { Description = "The agent that would run the task", Required = true };
        var repoOption = new Option<string?>("--repo") { Description = "The task's repository: a URL, or a forge repository's owner/name" };
        var imageOption = new Option<string?>("--image") { Description = "The image the task would ask for (must be in images.selectable)" };
        var json = CliJson.Option();
        var command = new Command("resolve", "Show how the image chain decides a task's image") { agentOption, repoOption, imageOption, json };
        command.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var config = context.Config;
            var agent = config.Select(parse.GetValue(agentOption)).Single();
            RepositoryUrl? repository = null;
            if (parse.GetValue(repoOption) is { } repo)
            {
                var url = config.Forge?.Find(repo) is { } forge ? forge.CloneUrl : repo;
                try
                {
                    repository = RepositoryUrl.Parse(url, config.Workdir.AllowLocalRepos);
                }
                catch (InvalidRepositoryException e)
                {
                    await Console.Error.WriteLineAsync($"error: --repo: {e.Message}");
                    return ExitCodes.InvalidConfig;
                }
            }

            TaskProfile profile;
            try
            {
                profile = TaskProfile.Resolve(config, agent, repository, parse.GetValue(imageOption));
            }
            catch (TaskProfileException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.CheckFailed;
            }

            if (parse.GetValue(json))
            {
                var (isBuilt, detail) = await BuiltAsync(context, profile.Image, cancellationToken);
                var decides = profile.Levels.FirstOrDefault(l => l.Image is not null);
                CliJson.Write(new
                {
                    Agent = agent.Name,
                    Repository = repository?.Url,
                    RepositoriesEntry = profile.Repository?.Key,
                    Levels = profile.Levels.Select(l => new { l.Level, l.Image, l.Source, Decides = ReferenceEquals(l, decides) }),
                    profile.Image,
                    ChosenBy = profile.ChosenBy.Source,
                    Built = isBuilt,
                    BuiltDetail = detail,
                    Runtime = profile.Container.Runtime,
                    profile.RuntimeSource,
                    Limits = new
                    {
                        profile.Container.MemoryBytes, profile.Container.Cpus, profile.Container.PidsLimit,
                        Timeout = Duration.Format(profile.Runner.Timeout), IdleTimeout = Duration.Format(profile.Runner.IdleTimeout),
                        profile.Runner.MaxTurns, profile.Runner.MaxBudgetUsd,
                    },
                    Setup = profile.Repository?.Setup,
                    SetupTimeout = profile.Repository?.Setup is null ? null : Duration.Format(profile.Repository.SetupTimeout),
                }, indented: true);
                return isBuilt == false ? ExitCodes.CheckFailed : ExitCodes.Success;
            }

            Console.WriteLine($"image chain for agent {agent.Name}{(repository is null ? "" : $" on {repository.Url}")}:");
            Console.WriteLine(repository is null ? "  (no --repo: the repository level is not consulted)"
                : profile.Repository is null ? "  (no repositories entry matches this repository)"
                : $"  repositories entry: {profile.Repository.Key}");
            var number = 1;
            var decided = false;
            foreach (var level in profile.Levels)
            {
                var mark = !decided && level.Image is not null ? "  <- decides" : decided && level.Image is not null ? "  (overridden)" : "";
                decided |= level.Image is not null;
                Console.WriteLine($"  {number++}. {level.Level,-15} {level.Image ?? "(not set)",-45} {level.Source}{mark}");
            }

            Console.WriteLine($"decision: {profile.Image} (from {profile.ChosenBy.Source})");
            var (_, built) = await BuiltAsync(context, profile.Image, cancellationToken);
            Console.WriteLine(built);
            Console.WriteLine($"runtime: {profile.Container.Runtime ?? "runc (the engine's default)"} ({profile.RuntimeSource})");
            Console.WriteLine($"limits: memory {ByteSize.Format(profile.Container.MemoryBytes)}, cpus {profile.Container.Cpus.ToString(System.Globalization.CultureInfo.InvariantCulture)}, pids {profile.Container.PidsLimit}, " +
                $"timeout {Duration.Format(profile.Runner.Timeout)}, idle {Duration.Format(profile.Runner.IdleTimeout)}, max turns {profile.Runner.MaxTurns}" +
                (profile.Runner.MaxBudgetUsd is { } budget ? $", budget {budget} USD" : ""));
            if (profile.Repository?.Setup is { } setup)
            {
                Console.WriteLine($"setup: {setup} (within {Duration.Format(profile.Repository.SetupTimeout)})");
            }

            return built.StartsWith("built: no", StringComparison.Ordinal) ? ExitCodes.CheckFailed : ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>Whether the image is built (null when the engine does not answer), and that as a line.</summary>
    private static async Task<(bool? Built, string Text)> BuiltAsync(CommandContext context, string image, CancellationToken cancellationToken)
    {
        DockerClient docker;
        try
        {
            docker = await context.ConnectAsync(cancellationToken);
        }
        catch (EngineUnavailableException e)
        {
            return (null, $"built: unknown (the engine is not reachable: {e.Message})");
        }

        try
        {
            var inspect = await docker.Images.InspectImageAsync(image, cancellationToken);
            return (true, $"built: yes ({inspect.ID.Replace("sha256:", "", StringComparison.Ordinal)[..12]}, {ByteSize.Format(inspect.Size)}, {inspect.Created:yyyy-MM-dd HH:mm}Z)");
        }
        catch (DockerImageNotFoundException)
        {
            return (false, $"built: no; a task would fail before any sandbox is made. Build it with '{Stacks.BuildCommand(image)}'");
        }
    }
}
