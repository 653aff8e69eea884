using System.CommandLine;
using System.Text.Json;
using ClaudeHooks.Api;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Cli;

/// <summary><c>claude-hooks serve</c>: checks the engine, then runs the HTTP service (systemd Type=notify aware).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Listen addresses", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var command = new Command("serve", "Run the service") { urls };
        command.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var config = context.Config;
            var docker = await context.ConnectAsync(cancellationToken);
            var status = await new EngineHealth(docker, config).CheckAsync(cancellationToken);
            if (!status.ImageAvailable || !status.NetworkExists)
            {
                foreach (var problem in status.Problems)
                {
                    await Console.Error.WriteLineAsync($"startup check: {problem}");
                }

                await Console.Error.WriteLineAsync("error: the agents' images or networks are missing; run 'claude-hooks images build' and 'claude-hooks containers up' (scripts/start does both)");
                return ExitCodes.EngineUnavailable;
            }

            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls(parse.GetValue(urls)!);
            builder.Host.UseSystemd();
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase);
            builder.Services.AddSingleton(config);
            builder.Services.AddSingleton(context.Paths);
            builder.Services.AddSingleton(docker);

            await using var app = builder.Build();
            app.MapHealthApi();
            await app.RunAsync(cancellationToken);
            return ExitCodes.Success;
        }));
        return command;
    }
}
