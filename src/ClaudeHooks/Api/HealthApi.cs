using System.Text.Json;
using ClaudeHooks.Agents;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;
using Docker.DotNet;

namespace ClaudeHooks.Api;

/// <summary>
/// <c>GET /api/health</c>: engine, image, networks and each agent's container; how the agents run (<c>mode</c>:
/// docker, local or mixed, and per agent) and, when any runs on the host, what that does not isolate.
/// </summary>
internal static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api").MapGet("/health", GetHealthAsync).WithName("GetHealth");
        return app;
    }

    private static readonly JsonSerializerOptions CamelCase = new(JsonSerializerDefaults.Web);

    private static async Task<IResult> GetHealthAsync(DockerClient docker, AgentsConfig config, ITaskStore store, Database database, TaskWorker worker, CancellationToken cancellationToken)
    {
        // Only agents with sandboxes need the engine; a local agent's health is the service's own.
        var containerised = LocalMode.Containerised(config);
        var status = await new EngineHealth(docker, config with { Agents = containerised }).CheckAsync(cancellationToken);
        var problems = containerised.Count == 0 ? new List<string>() : [.. status.Problems];
        QueueHealth? queue = null;
        try
        {
            var stats = await store.GetQueueStatsAsync(DateTimeOffset.UtcNow, cancellationToken);
            queue = new QueueHealth(
                config.Agents.ToDictionary(a => a.Name, a => stats.QueuedByAgent.GetValueOrDefault(a.Name)),
                stats.Running,
                stats.OldestQueuedAge?.TotalSeconds);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            problems.Add($"database {database.FilePath} cannot be read ({e.Message}); check the disk and the file's permissions");
        }

        var body = Compose(config, status, queue, worker.Draining, database.FilePath, problems);
        return TypedResults.Json(body, CamelCase, statusCode: body.Ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>The answer: ok when the database answers and, if any agent has sandboxes, the engine has all they need.</summary>
    internal static HealthResponse Compose(AgentsConfig config, EngineStatus status, QueueHealth? queue, bool draining, string databasePath, IReadOnlyList<string> problems)
    {
        var engineOk = LocalMode.Containerised(config).Count == 0
            || (status.SocketConnected && status.ImageAvailable && status.NetworkExists && status.Agents.All(a => a.State == "running"));
        return new HealthResponse(
            engineOk && queue is not null,
            LocalMode.Of(config),
            draining,
            new DockerHealth(status.SocketConnected, status.ImageAvailable, status.ImageName, status.NetworkExists),
            Agents(config, status),
            queue,
            new DatabaseHealth(queue is not null, databasePath),
            problems)
        {
            LocalModeWarning = LocalMode.Warning(config),
        };
    }

    /// <summary>The serializer options of the answer (camelCase names).</summary>
    internal static JsonSerializerOptions JsonOptions => CamelCase;

    /// <summary>Every agent in config order: a containerised one as the engine sees its container, a local one as a host process.</summary>
    internal static IReadOnlyList<AgentHealth> Agents(AgentsConfig config, EngineStatus status) =>
    [
        .. config.Agents.Select(agent => status.Agents.FirstOrDefault(a => a.Name == agent.Name) is { } a
            ? new AgentHealth(a.Name, a.Role, a.Container, a.State, a.Health, a.Image, a.StartedAt, a.TaskSandboxes, a.WarmSandboxes) { Mode = LocalMode.Docker }
            : new AgentHealth(agent.Name, agent.Role.ToString().ToLowerInvariant(), "", agent.IsLocal ? "host" : "missing", "-", "", null, 0, 0) { Mode = agent.IsLocal ? LocalMode.Local : LocalMode.Docker }),
    ];

    internal sealed record HealthResponse(bool Ok, string Mode, bool Draining, DockerHealth Docker, IReadOnlyList<AgentHealth> Agents, QueueHealth? Queue, DatabaseHealth Database, IReadOnlyList<string> Problems)
    {
        /// <summary>What the local agents' tasks are not isolated from; absent when every agent has sandboxes.</summary>
        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        public string? LocalModeWarning { get; init; }
    }

    internal sealed record QueueHealth(IReadOnlyDictionary<string, int> Depth, int Running, double? OldestQueuedAgeSeconds);

    internal sealed record DatabaseHealth(bool Ok, string Path);

    internal sealed record DockerHealth(bool SocketConnected, bool ImageAvailable, string ImageName, bool NetworkExists);

    internal sealed record AgentHealth(string Name, string Role, string Container, string State, string Health, string Image, DateTime? StartedAt, int TaskSandboxes, int WarmSandboxes)
    {
        /// <summary>"docker" (sandboxes) or "local" (a host process).</summary>
        public string Mode { get; init; } = LocalMode.Docker;
    }
}
