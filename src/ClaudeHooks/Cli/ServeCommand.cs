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
            if (UrlsProblem(parse.GetValue(urls)!) is { } urlsProblem)
            {
                await Console.Error.WriteLineAsync($"error: {urlsProblem}");
                return ExitCodes.Usage;
            }

            // Before the engine checks and migrations: a second serve on the same port learns it at once.
            if (ListenProblem(parse.GetValue(urls)!) is { } listenProblem)
            {
                await Console.Error.WriteLineAsync($"error: {listenProblem}");
                return ExitCodes.CannotListen;
            }

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

            try
            {
                await app.StartAsync(CancellationToken.None);
            }
            catch (IOException e)
            {
                // Kestrel's "address already in use" (another serve?), or an address that is not this machine's.
                await Console.Error.WriteLineAsync($"error: cannot listen on --urls {parse.GetValue(urls)}: {e.GetBaseException().Message}; stop what listens there ('ss -ltnp' shows it) or pass --urls with a free port");
                return ExitCodes.CannotListen;
            }

            await app.WaitForShutdownAsync(CancellationToken.None);
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>What is wrong with <c>--urls</c> (addresses separated by ';', each parsed as Kestrel parses it), or null.</summary>
    internal static string? UrlsProblem(string urls)
    {
        var addresses = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var address in addresses)
        {
            try
            {
                var binding = Microsoft.AspNetCore.Http.BindingAddress.Parse(address);
                // Kestrel's own parser takes "127.0.0.1:notaport" as a host; a URL with its wildcard host in place must parse too.
                if (binding.Scheme is "http" or "https"
                    && (binding.IsUnixPipe || (binding.Host.Length > 0 && Uri.TryCreate(address.Replace("://*", "://localhost", StringComparison.Ordinal).Replace("://+", "://localhost", StringComparison.Ordinal), UriKind.Absolute, out _))))
                {
                    continue;
                }
            }
            catch (FormatException)
            {
            }

            return $"--urls \"{TerminalText.Neutralize(address)}\" is not an address to listen on; pass one such as http://127.0.0.1:8080 (several separated by ';')";
        }

        return addresses.Length == 0 ? "--urls is empty; pass an address such as http://127.0.0.1:8080" : null;
    }

    /// <summary>
    /// Whether an address of <c>--urls</c> with an IP (or localhost) is taken, found by binding it for a moment; the
    /// listener's own start reports anything that slips in between.
    /// </summary>
    internal static string? ListenProblem(string urls)
    {
        foreach (var address in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var binding = Microsoft.AspNetCore.Http.BindingAddress.Parse(address);
            var ip = binding.Host == "localhost" ? System.Net.IPAddress.Loopback : System.Net.IPAddress.TryParse(binding.Host.Trim('[', ']'), out var parsed) ? parsed : null;
            if (binding.IsUnixPipe || ip is null || binding.Port == 0)
            {
                continue;
            }

            var probe = new System.Net.Sockets.TcpListener(ip, binding.Port) { ExclusiveAddressUse = false };
            try
            {
                probe.Start();
            }
            catch (System.Net.Sockets.SocketException e)
            {
                return $"cannot listen on --urls {TerminalText.Neutralize(address)}: {e.Message}; stop what listens there ('ss -ltnp' shows it) or pass --urls with a free port";
            }
            finally
            {
                probe.Stop();
            }
        }

        return null;
    }
}
