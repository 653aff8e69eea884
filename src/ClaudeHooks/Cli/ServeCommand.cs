using System.CommandLine;
using ClaudeHooks.Api;
using ClaudeHooks.Containers;
using ClaudeHooks.Hosting;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;
using Docker.DotNet;

namespace ClaudeHooks.Cli;

/// <summary>
/// <c>claude-hooks serve</c>: checks the engine, applies database migrations, recovers abandoned tasks, then runs
/// the task API and the workers. SIGTERM drains (systemd Type=notify: READY and STOPPING are reported).
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Listen addresses", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var command = new Command("serve", "Run the service: task API, workers, health") { urls };
        command.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var config = context.Config;

            // A local agent runs on the host, and forge events come from anyone who can comment: refused unless acknowledged.
            if (Agents.LocalMode.ForgeRefusals(config) is { Count: > 0 } refusals)
            {
                foreach (var refusal in refusals)
                {
                    await Console.Error.WriteLineAsync($"error: {refusal}");
                }

                return ExitCodes.InvalidConfig;
            }

            if (Agents.LocalMode.Warning(config) is { } warning)
            {
                await Console.Error.WriteLineAsync($"WARNING: {warning}");
            }

            DockerClient docker;
            try
            {
                docker = await context.ConnectAsync(cancellationToken);
            }
            catch (EngineUnavailableException e) when (Agents.LocalMode.Containerised(config).Count == 0)
            {
                // The worker still recovers and reaps sandboxes through the engine at start, even with no agent that has them.
                await Console.Error.WriteLineAsync($"error: {e.Message}. Every agent runs on the host, but serve still needs the engine; without one, run tasks with 'claude-hooks run'");
                return ExitCodes.EngineUnavailable;
            }

            var status = await new EngineHealth(docker, config with { Agents = Agents.LocalMode.Containerised(config) }).CheckAsync(cancellationToken);
            if (!status.ImageAvailable || !status.NetworkExists)
            {
                foreach (var problem in status.Problems)
                {
                    await Console.Error.WriteLineAsync($"startup check: {problem}");
                }

                await Console.Error.WriteLineAsync("error: the agents' images or networks are missing; run 'claude-hooks images build' and 'claude-hooks containers up' (scripts/start does both)");
                return ExitCodes.EngineUnavailable;
            }

            // Home and data folder 0700 before the gateway or SQLite make them under the umask; an older install's loose modes are tightened.
            var tightened = Config.ServiceFiles.Prepare(context.Paths, parse.GetValue(RunCommand.DataDirectory) ?? Database.DefaultDataDirectory);

            // The gateway's folder holds every sandbox's socket: refuse one that other users can reach.
            Gateway.HostGateway.PrepareRoot(config.GatewayRoot);

            // Schema first: nothing reads or claims a task before the migrations are in.
            var database = await Database.OpenAndMigrateAsync(parse.GetValue(RunCommand.DataDirectory) ?? Database.DefaultDataDirectory, cancellationToken);
            var token = ApiToken.LoadOrCreate(context.Paths, out var created);
            if (created)
            {
                // Only where it is: this output ends up in journald or a log file, which others may read.
                Console.WriteLine($"API token created in {ApiToken.FilePath(context.Paths)}; read it with: cat {ApiToken.FilePath(context.Paths)}");
            }

            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls(parse.GetValue(urls)!);
            builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = config.Service.MaxPromptBytes + (1024 * 1024));
            builder.Host.UseSystemd();
            builder.Logging.AddRedactedConsole(context.Redactor, config.Service.LogFormat ?? RedactedLogging.DefaultFormat);
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            builder.Services.AddApplicationServices(config, context.Paths, docker, database, context.Redactor, token);
            await using var app = builder.Build();
            app.MapApplicationApis(token, config);
            var startLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ClaudeHooks.Service");
            ServeLog.ConfigLoaded(startLog, context.ConfigPath, context.ConfigOrigin);
            if (tightened.Count > 0)
            {
                ServeLog.ModesTightened(startLog, tightened.Count, string.Join(", ", tightened));
            }

            await app.RunAsync(CancellationToken.None);
            return ExitCodes.Success;
        }));
        return command;
    }
}
