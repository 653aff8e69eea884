using System.CommandLine;
using System.Globalization;
using ClaudeHooks.Agents;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;
using ClaudeHooks.Workdir;

namespace ClaudeHooks.Cli;

/// <summary><c>claude-hooks run</c>: one task in a sandbox of its own without the service, printing live events and the outcome.</summary>
internal static class RunCommand
{
    public static Option<string?> DataDirectory { get; } = new("--data-dir") { Description = "Where the database lives (default: ~/.local/share/claude-hooks)", Recursive = true };

    public static Command Create()
    {
        var agent = new Option<string>("--agent") { Description = "The agent to run", Required = true };
        var repo = new Option<string>("--repo") { Description = "Repository URL (https or http; local paths when workdir.allow_local_repos)", Required = true };
        var baseRef = new Option<string?>("--base-ref") { Description = "Branch, tag or commit a new thread starts from (default: the remote's default branch)" };
        var thread = new Option<string?>("--thread") { Description = "Conversation thread, e.g. issue-42; a later run on the same thread resumes its session (default: a new one)" };
        var prompt = new Argument<string>("prompt") { Description = "What to do; \"-\" reads it from standard input" };
        var command = new Command("run", "Run one task in a sandbox of the agent and print its events and outcome") { agent, repo, baseRef, thread, prompt };
        command.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var config = context.Config;
            var agentConfig = config.Select(parse.GetValue(agent))[0];
            var text = parse.GetValue(prompt)!;
            if (text == "-")
            {
                text = await Console.In.ReadToEndAsync(cancellationToken);
            }

            if (text.Trim().Length == 0)
            {
                await Console.Error.WriteLineAsync("error: the prompt is empty; pass what the agent should do");
                return ExitCodes.InvalidConfig;
            }

            var id = TaskIds.New();
            var repository = parse.GetValue(repo)!;
            try
            {
                RepositoryUrl.Parse(repository, config.Workdir.AllowLocalRepos);
                GitNames.Thread(parse.GetValue(thread) ?? "run");
                if (parse.GetValue(baseRef) is { } reference)
                {
                    GitNames.Ref(reference);
                }
            }
            catch (InvalidRepositoryException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.InvalidConfig;
            }

            // A local agent runs on the host: this run needs no engine.
            var docker = agentConfig.IsLocal ? context.Docker : await context.ConnectAsync(cancellationToken);
            var database = await Database.OpenAndMigrateAsync(parse.GetValue(DataDirectory) ?? Database.DefaultDataDirectory, cancellationToken);
            var clock = TimeProvider.System;
            var store = new SqliteTaskStore(database, clock);
            var bus = new TaskEventBus(store, context.Redactor, config.Service.MaxTaskEventBytes, context.LoggerFactory.CreateLogger<TaskEventBus>());
            var machine = new TaskStateMachine(store, new NoTaskReactions(), config, clock, context.LoggerFactory.CreateLogger<TaskStateMachine>());

            // The task starts running under this process's lease, renewed while it runs: a service on the same
            // database sees a live task, never an abandoned one, and leaves it alone.
            var owner = $"run:{Environment.MachineName}:{Environment.ProcessId}";
            var now = clock.GetUtcNow();
            var task = new TaskRecord(id, agentConfig.Name, repository, parse.GetValue(baseRef), parse.GetValue(thread) ?? $"run-{id[^8..]}", text, TaskState.Running, 1, now, now, null,
                LeaseOwner: owner, LeaseExpiresAt: now + config.Service.Lease);
            await machine.CreateAsync(task, $"started by claude-hooks run (attempt 1, lease held by {owner})", cancellationToken);
            Console.WriteLine($"task {id}: agent {agentConfig.Name}, thread {task.Thread}");

            using var subscription = bus.Subscribe(id);
            var printer = Task.Run(async () =>
            {
                await foreach (var stored in subscription.Reader.ReadAllAsync(CancellationToken.None))
                {
                    if (EventRenderer.Render(stored) is { } line)
                    {
                        Console.WriteLine(line);
                    }
                }
            }, CancellationToken.None);

            var runtime = new Containers.ContainerRuntime(docker);
            await using var egress = new Gateway.EgressLog(database, clock, context.LoggerFactory.CreateLogger<Gateway.EgressLog>());
            await using var gateway = new Gateway.HostGateway(config, context.Paths, bus, egress.Record, clock, context.LoggerFactory);
            await gateway.StartAsync([], cancellationToken);
            await using var sandboxes = new Containers.SandboxManager(runtime, config with { Agents = [agentConfig with { WarmSandboxes = 0 }] }, gateway, context.LoggerFactory.CreateLogger<Containers.SandboxManager>());
            var local = new LocalRunner(gateway, config, bus, context.LoggerFactory.CreateLogger<LocalRunner>());
            var runner = new AgentRunner(runtime, sandboxes, gateway, config, context.Paths, store, bus, context.LoggerFactory.CreateLogger<AgentRunner>(), local);
            var signals = new TaskSignals();
            var executor = new TaskExecutor(machine, store, bus, signals, [runner], config, context.LoggerFactory.CreateLogger<TaskExecutor>());

            // Ctrl+C cancels the task (nothing queues it again: there is no service to run it).
            using var cancelled = cancellationToken.Register(() => signals.Cancel(id));
            var outcome = await executor.ExecuteAsync(task, owner, CancellationToken.None, retries: false);
            await printer;
            PrintOutcome(id, outcome, agentConfig.IsLocal ? "the task's folder" : "a sandbox");
            return outcome.Status == RunStatus.Succeeded ? ExitCodes.Success : ExitCodes.CheckFailed;
        }));
        return command;
    }


    private static void PrintOutcome(string id, RunOutcome outcome, string where)
    {
        Console.WriteLine();
        Console.WriteLine($"task {id}: {outcome.Status.ToName()} — {Security.TerminalText.Neutralize(outcome.Reason)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  session {outcome.SessionId ?? "-"}{(outcome.Resumed ? " (resumed)" : "")} · {outcome.Turns} turns · {(outcome.CostUsd is { } cost ? $"${cost:0.####}" : "cost unknown")} · {outcome.DurationMs / 1000.0:0.#} s"));
        Console.WriteLine($"  branch {outcome.Branch} ({(outcome.PushedCommits is { Count: > 0 } pushed ? $"pushed {pushed.Count} commit(s)" : "nothing pushed")}), checkout {outcome.Worktree} in {where}, now removed");
        if (outcome.UsageJson is { } usage)
        {
            Console.WriteLine($"  usage {Security.TerminalText.Neutralize(usage)}");
        }

        if (!string.IsNullOrWhiteSpace(outcome.FinalText))
        {
            Console.WriteLine();
            Console.WriteLine(Security.TerminalText.Neutralize(outcome.FinalText.Trim()));
        }
    }
}
