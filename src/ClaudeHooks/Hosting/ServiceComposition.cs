using System.Text.Json;
using ClaudeHooks.Agents;
using ClaudeHooks.Api;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Dashboard;
using ClaudeHooks.Forge;
using ClaudeHooks.Forge.GitHub;
using ClaudeHooks.Gateway;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;
using Docker.DotNet;
using Microsoft.AspNetCore.DataProtection;

namespace ClaudeHooks.Hosting;

/// <summary>
/// What the service is made of, in one place: the stores, the state machine and its performers, the worker, the
/// gateway, the forge flow and its outbox, and the HTTP modules. <c>serve</c> checks the machine, then builds the
/// host from this.
/// </summary>
internal static class ServiceComposition
{
    public static IServiceCollection AddApplicationServices(this IServiceCollection services, AgentsConfig config, ClaudeHooksPaths paths, DockerClient docker, Database database, SecretRedactor redactor, ApiToken token)
    {
        services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownBudget.HostShutdownTimeout(config.Service.DrainTimeout));
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        });
        services.AddProblemDetails();
        services.AddOpenApi();
        services.AddApiDocument();
        services.AddSingleton<IdempotencyKeys>();
        services.AddSingleton(config);
        services.AddSingleton(paths);
        services.AddSingleton(docker);
        services.AddSingleton(database);
        services.AddSingleton(redactor);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(token);
        services.AddServiceTelemetry(config);

        // The dashboard: server-rendered pages, sessions, signed read-only links, anti-forgery under a kept key ring.
        services.AddRazorComponents();
        services.AddDataProtection().SetApplicationName("claude-hooks").PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(paths.Home, "dashboard-keys")));
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "claude_hooks_form";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SuppressXFrameOptionsHeader = true;
        });
        services.AddSingleton<DashboardSessions>();
        services.AddSingleton(SignedLinks.LoadOrCreate(paths));
        services.AddSingleton<EngineSnapshot>();
        services.AddHealthProbes();

        // Tasks: the store, the one state machine, the performers, the worker.
        services.AddSingleton<SqliteTaskStore>();
        services.AddSingleton<ITaskStore>(s => s.GetRequiredService<SqliteTaskStore>());
        services.AddSingleton<IForgeStore>(s => s.GetRequiredService<SqliteTaskStore>());
        services.AddSingleton(s => new TaskEventBus(s.GetRequiredService<ITaskStore>(), redactor, config.Service.MaxTaskEventBytes, s.GetRequiredService<ILogger<TaskEventBus>>()));
        services.AddSingleton<TaskSignals>();
        services.AddSingleton<TaskStateMachine>();
        services.AddSingleton<TaskExecutor>();
        services.AddSingleton<ContainerRuntime>();
        services.AddSingleton<SandboxManager>();
        services.AddSingleton<LocalRunner>();
        services.AddSingleton<AgentRunner>();
        services.AddSingleton<ITaskPerformer>(s => s.GetRequiredService<AgentRunner>());
        services.AddHostedService<EventRetention>();

        // The gateway holds every credential and every exit; its egress log.
        services.AddSingleton<EgressLog>();
        services.AddHostedService<EgressRetention>();
        services.AddForgeHttpClient();
        services.AddSingleton(s => new GitHubAppTokens(s.GetRequiredService<IHttpClientFactory>().CreateClient(ForgeHttp.ClientName), TimeProvider.System));
        services.AddSingleton(s => new ForgeCredentials(paths, s.GetRequiredService<GitHubAppTokens>(), TimeProvider.System));
        services.AddSingleton(s => new HostGateway(config, paths, s.GetRequiredService<TaskEventBus>(), s.GetRequiredService<EgressLog>().Record, TimeProvider.System, s.GetRequiredService<ILoggerFactory>(),
            s.GetRequiredService<ForgeCredentials>()));
        services.AddSingleton<BudgetLedger>();
        services.AddSingleton<BudgetGuard>();
        services.AddHostedService<BudgetService>();
        services.AddHostedService<GatewayService>();

        if (config.Forge is not null)
        {
            services.AddSingleton<Func<AgentConfig, ForgeRepository, IForgeClient>>(s =>
            {
                var http = s.GetRequiredService<IHttpClientFactory>();
                var credentials = s.GetRequiredService<ForgeCredentials>();
                return (agent, repository) => ForgeClients.Create(http.CreateClient(ForgeHttp.ClientName), agent, repository, credentials, paths, redactor);
            });
            services.AddSingleton<ForgeFlows>();
            services.AddSingleton<ForgeQueue>(s => s.GetRequiredService<ForgeFlows>().QueueAsync);
            services.AddSingleton<ITaskReactions>(s => s.GetRequiredService<ForgeFlows>());
            services.AddSingleton<ForgeOutbox>();
            services.AddHostedService(s => s.GetRequiredService<ForgeOutbox>());
            services.AddSingleton<ITaskPerformer, MergePerformer>();
            services.AddSingleton<ForgeDispatcher>();
            services.AddHostedService(s => s.GetRequiredService<ForgeDispatcher>());
            services.AddHostedService<ForgeReconciler>();
        }
        else
        {
            services.AddSingleton<ITaskReactions, NoTaskReactions>();
        }

        // Last: its drain runs before any other service stops, so the API keeps taking requests while tasks finish.
        services.AddSingleton<TaskWorker>();
        services.AddHostedService(s => s.GetRequiredService<TaskWorker>());
        return services;
    }

    public static WebApplication MapApplicationApis(this WebApplication app, ApiToken token, AgentsConfig config)
    {
        app.UseApiStatusPages();
        app.UseApiSecurity(token, config);
        app.UseDashboardSecurity();
        app.MapDashboard();
        app.MapHealthApi();
        app.MapHealthProbes();
        app.MapTaskApi();
        app.MapEgressApi();
        app.MapBudgetApi();
        app.MapServiceMetrics();
        if (config.Forge is not null)
        {
            app.MapWebhookApi();
        }

        app.MapOpenApi();
        app.MapApiDocs();
        return app;
    }
}
