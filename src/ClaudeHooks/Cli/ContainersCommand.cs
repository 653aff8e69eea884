using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ClaudeHooks.Containers;
using Docker.DotNet.Models;

namespace ClaudeHooks.Cli;

/// <summary><c>claude-hooks containers up|down|rebuild|logs|shell|status</c>.</summary>
internal static class ContainersCommand
{
    public static Command Create()
    {
        var command = new Command("containers", "Manage the long-lived agent containers");
        command.Subcommands.Add(Up());
        command.Subcommands.Add(Down());
        command.Subcommands.Add(Rebuild());
        command.Subcommands.Add(Logs());
        command.Subcommands.Add(Shell());
        command.Subcommands.Add(Status());
        return command;
    }

    private static Command Up()
    {
        var agent = GlobalOptions.OptionalAgent();
        var json = CliJson.Option();
        var command = new Command("up", "Create missing agent containers, start stopped ones, adopt running ones") { agent, json };
        command.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var agents = context.Config.Select(parse.GetValue(agent));
            await context.ConnectAsync(cancellationToken);

            // Waiting for health probes takes a while: at a terminal each step is shown as it starts and ends, in order.
            var live = !parse.GetValue(json) && !Console.IsOutputRedirected;
            var lines = await context.Reconciler().UpAsync(agents, cancellationToken, live
                ? (line, starting) => (starting ? Console.Error : Console.Out).WriteLine(starting ? $"{line}..." : line)
                : null);
            if (!live)
            {
                PrintActions(lines, parse.GetValue(json));
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Down()
    {
        var agent = GlobalOptions.OptionalAgent();
        var volumes = new Option<bool>("--volumes") { Description = "Also delete the agents' state and home volumes (their repository caches)" };
        var json = CliJson.Option();
        var command = new Command("down", "Stop and remove agent containers (volumes are kept unless --volumes)") { agent, volumes, json };
        command.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var agents = context.Config.Select(parse.GetValue(agent));
            await context.ConnectAsync(cancellationToken);
            PrintActions(await context.Reconciler().DownAsync(agents, parse.GetValue(volumes), cancellationToken), parse.GetValue(json));

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Rebuild()
    {
        var agent = GlobalOptions.OptionalAgent();
        var json = CliJson.Option();
        var command = new Command("rebuild", "Recreate agent containers from the current image and config, keeping their volumes") { agent, json };
        command.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var agents = context.Config.Select(parse.GetValue(agent));
            await context.ConnectAsync(cancellationToken);
            PrintActions(await context.Reconciler().RebuildAsync(agents, cancellationToken), parse.GetValue(json));

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Logs()
    {
        var agent = GlobalOptions.RequiredAgent();
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new output" };
        var tail = new Option<string>("--tail") { Description = "Lines from the end to show (or \"all\")", DefaultValueFactory = _ => "200" };
        var command = new Command("logs", "Print an agent container's output") { agent, follow, tail };
        command.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var name = context.Config.Select(parse.GetValue(agent))[0].Name;
            var docker = await context.ConnectAsync(cancellationToken);
            var container = await context.Reconciler().FindOneAsync(name, cancellationToken)
                ?? throw new ContainerOperationException($"agent {name} has no container; run 'claude-hooks containers up {name}'");
            using var stream = await docker.Containers.GetContainerLogsAsync(container.ID, new ContainerLogsParameters
            {
                ShowStdout = true,
                ShowStderr = true,
                Follow = parse.GetValue(follow),
                Tail = parse.GetValue(tail),
            }, cancellationToken);
            try
            {
                await stream.CopyOutputToAsync(Stream.Null, Console.OpenStandardOutput(), Console.OpenStandardError(), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Shell()
    {
        var agent = GlobalOptions.RequiredAgent();
        var task = new Option<string?>("--task") { Description = "Open the shell in this running task's sandbox, as the agent's user, instead of the agent's own container" };
        var command = new Command("shell", "Open an interactive shell in an agent's container (as its maintenance user) or in a running task's sandbox (as the agent's user); no secrets in its environment") { agent, task };
        command.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var config = context.Config.Select(parse.GetValue(agent))[0];
            var docker = await context.ConnectAsync(cancellationToken);
            string id, user, directory;
            if (parse.GetValue(task) is { } taskId)
            {
                var name = ResourceNames.Sandbox(context.Config.ContainerPrefix, config.Name, ResourceNames.TaskKey(taskId));
                var sandbox = await new ContainerRuntime(docker).InspectAsync(name, cancellationToken);
                if (sandbox is not { State.Running: true })
                {
                    throw new ContainerOperationException($"task {taskId} of agent {config.Name} has no running sandbox ({name}); a sandbox exists only while its task runs");
                }

                (id, user, directory) = (sandbox.ID, config.Container.User, ResourceNames.WorkRoot);
            }
            else
            {
                var container = await context.Reconciler().FindOneAsync(config.Name, cancellationToken);
                if (container?.State != "running")
                {
                    throw new ContainerOperationException($"agent {config.Name} is not running; run 'claude-hooks containers up {config.Name}'");
                }

                (id, user, directory) = (container.ID, ResourceNames.MaintenanceUser, ResourceNames.StateMount);
            }

            // An interactive TTY is the docker CLI's strength; the engine API is used for everything else.
            var start = new ProcessStartInfo("docker") { UseShellExecute = false };
            foreach (var argument in new[] { "exec", "-it", "-u", user, "-w", directory, id, "bash" })
            {
                start.ArgumentList.Add(argument);
            }

            try
            {
                using var process = Process.Start(start)!;
                await process.WaitForExitAsync(cancellationToken);
                return process.ExitCode;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                throw new ContainerOperationException("the docker command-line client is not installed; install it ('apt-get install docker.io') to open a shell");
            }
        }));
        return command;
    }

    /// <summary>What up, down or rebuild did, a line each, or with --json one object: <c>{"actions": [...]}</c>.</summary>
    private static void PrintActions(IEnumerable<string> lines, bool json)
    {
        if (json)
        {
            CliJson.Write(new { Actions = lines.ToList() });
            return;
        }

        foreach (var line in lines)
        {
            Console.WriteLine(line);
        }
    }

    private static Command Status()
    {
        var json = CliJson.Option();
        var command = new Command("status", "Show each agent's container, state, health, image and uptime") { json };
        command.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var docker = await context.ConnectAsync(cancellationToken);
            var status = await new EngineHealth(docker, context.Config).CheckAsync(cancellationToken);
            var ok = status.Agents.All(a => a.State == "running");
            if (parse.GetValue(json))
            {
                var listed = await SandboxManager.ListAsync(new ContainerRuntime(docker), context.Config.ContainerPrefix, cancellationToken);
                CliJson.Write(new
                {
                    status.Agents,
                    Sandboxes = listed.Select(c => new
                    {
                        Name = c.Names.First().TrimStart('/'),
                        Agent = c.Labels!.TryGetValue(ResourceNames.AgentLabel, out var a) ? a : null,
                        c.State,
                        Created = c.Created.ToUniversalTime(),
                    }),
                });
                return ok ? ExitCodes.Success : ExitCodes.CheckFailed;
            }

            var rows = status.Agents.Select(a => new[]
            {
                a.Name, a.Container, a.State, a.Health, a.Image,
                a.StartedAt is { } started ? FormatUptime(DateTime.UtcNow - started.ToUniversalTime()) : "-",
                $"{a.TaskSandboxes} running, {a.WarmSandboxes} warm",
            }).ToList();
            Table.Print(["AGENT", "CONTAINER", "STATE", "HEALTH", "IMAGE", "UPTIME", "SANDBOXES"], rows);
            var sandboxes = await SandboxManager.ListAsync(new ContainerRuntime(docker), context.Config.ContainerPrefix, cancellationToken);
            if (sandboxes.Count > 0)
            {
                Console.WriteLine();
                Table.Print(["SANDBOX", "AGENT", "TASK", "STATE", "AGE"], sandboxes.Select(c =>
                {
                    var name = c.Names.First().TrimStart('/');
                    var agent = c.Labels!.TryGetValue(ResourceNames.AgentLabel, out var a) ? a : "?";
                    var key = name.Length > context.Config.ContainerPrefix.Length + agent.Length + 2 ? name[(context.Config.ContainerPrefix.Length + agent.Length + 2)..] : name;
                    return new[] { name, agent, key.StartsWith("warm-", StringComparison.Ordinal) ? "(warm)" : key, c.State ?? "?", FormatUptime(DateTime.UtcNow - c.Created.ToUniversalTime()) };
                }).ToList());
            }

            return ok ? ExitCodes.Success : ExitCodes.CheckFailed;
        }));
        return command;
    }

    internal static string FormatUptime(TimeSpan uptime) => uptime.TotalDays >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)uptime.TotalDays}d{uptime.Hours}h")
        : uptime.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)uptime.TotalHours}h{uptime.Minutes}m")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)uptime.TotalMinutes}m{uptime.Seconds}s");
}
