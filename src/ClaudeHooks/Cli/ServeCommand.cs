using System.CommandLine;
using System.Text.Json;
using ClaudeHooks.Api;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Forge;
using ClaudeHooks.Gateway;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;

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

            // The gateway's folder holds every sandbox's socket: refuse one that other users can reach.
            Gateway.HostGateway.PrepareRoot(config.GatewayRoot);

            // Schema first: nothing reads or claims a task before the migrations are in.
            var database = await Database.OpenAndMigrateAsync(parse.GetValue(RunCommand.DataDirectory) ?? Database.DefaultDataDirectory, cancellationToken);
            var token = ApiToken.LoadOrCreate(context.Paths, out var created);
            if (created)
            {
                Console.WriteLine($"API token created in {ApiToken.FilePath(context.Paths)} (shown once): {token.Value}");
            }

            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls(parse.GetValue(urls)!);
            builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = config.Service.MaxPromptBytes + (1024 * 1024));
            builder.Host.UseSystemd();
            builder.Logging.AddRedactedConsole(context.Redactor);
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = config.Service.DrainTimeout + TimeSpan.FromSeconds(30));
            builder.Services.ConfigureHttpJsonOptions(o =>
            {
                o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
                o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
            });
            builder.Services.AddProblemDetails();
            builder.Services.AddOpenApi();
            builder.Services.AddSingleton(config);
            builder.Services.AddSingleton(context.Paths);
            builder.Services.AddSingleton(docker);
            builder.Services.AddSingleton<ContainerRuntime>();
            builder.Services.AddSingleton<SandboxManager>();
            builder.Services.AddSingleton(database);
            builder.Services.AddSingleton(TimeProvider.System);
            builder.Services.AddSingleton<SqliteTaskStore>();
            builder.Services.AddSingleton<ITaskStore>(services => services.GetRequiredService<SqliteTaskStore>());
            builder.Services.AddSingleton<IForgeStore>(services => services.GetRequiredService<SqliteTaskStore>());
            builder.Services.AddSingleton(context.Redactor);
            builder.Services.AddSingleton(services => new TaskEventBus(
                services.GetRequiredService<ITaskStore>(), context.Redactor, config.Service.MaxTaskEventBytes, services.GetRequiredService<ILogger<TaskEventBus>>()));
            builder.Services.AddSingleton<TaskSignals>();
            builder.Services.AddSingleton<EgressLog>();
            builder.Services.AddHostedService<EgressRetention>();
            if (config.Forge is not null)
            {
                builder.Services.AddHttpClient();
                builder.Services.AddSingleton<Func<AgentConfig, ForgeRepository, IForgeClient>>(services =>
                {
                    var http = services.GetRequiredService<IHttpClientFactory>();
                    var credentials = new AgentCredentials(context.Paths);
                    return (agent, repository) => new ForgejoClient(http.CreateClient("forge"), repository.ForgeUrl, credentials.ReadForgeToken(agent), context.Redactor);
                });
                builder.Services.AddSingleton<ForgeFlows>();
                builder.Services.AddSingleton<ITaskHooks>(services => services.GetRequiredService<ForgeFlows>());
                builder.Services.AddSingleton<ForgeDispatcher>();
                builder.Services.AddHostedService(services => services.GetRequiredService<ForgeDispatcher>());
                builder.Services.AddHostedService<ForgeReconciler>();
            }
            else
            {
                builder.Services.AddSingleton<ITaskHooks, NoTaskHooks>();
            }

            builder.Services.AddSingleton(services => new Gateway.HostGateway(
                config, context.Paths, services.GetRequiredService<TaskEventBus>(), services.GetRequiredService<Gateway.EgressLog>().Record, TimeProvider.System, services.GetRequiredService<ILoggerFactory>()));
            builder.Services.AddHostedService<Gateway.GatewayService>();
            builder.Services.AddSingleton<TaskWorker>();
            builder.Services.AddHostedService(services => services.GetRequiredService<TaskWorker>());

            await using var app = builder.Build();
            app.UseApiSecurity(token, config);
            app.MapHealthApi();
            app.MapTaskApi();
            app.MapEgressApi();
            if (config.Forge is not null)
            {
                app.MapWebhookApi();
            }

            app.MapOpenApi();
            await app.RunAsync(CancellationToken.None);
            return ExitCodes.Success;
        }));
        return command;
    }
}
