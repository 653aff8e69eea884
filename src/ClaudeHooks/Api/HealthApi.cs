using System.Text.Json;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;
using Docker.DotNet;

namespace ClaudeHooks.Api;

/// <summary><c>GET /api/health</c>: engine, image, networks and each agent's container.</summary>
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
        var status = await new EngineHealth(docker, config).CheckAsync(cancellationToken);
        var problems = status.Problems.ToList();
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

        var ok = status.SocketConnected && status.ImageAvailable && status.NetworkExists && status.Agents.All(a => a.State == "running") && queue is not null;
        var body = new HealthResponse(
            ok,
            "docker",
            worker.Draining,
            new DockerHealth(status.SocketConnected, status.ImageAvailable, status.ImageName, status.NetworkExists),
            status.Agents.Select(a => new AgentHealth(a.Name, a.Role, a.Container, a.State, a.Health, a.Image, a.StartedAt, a.TaskSandboxes, a.WarmSandboxes)).ToList(),
            queue,
            new DatabaseHealth(queue is not null, database.FilePath),
            problems);
        return TypedResults.Json(body, CamelCase, statusCode: ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    internal sealed record HealthResponse(bool Ok, string Mode, bool Draining, DockerHealth Docker, IReadOnlyList<AgentHealth> Agents, QueueHealth? Queue, DatabaseHealth Database, IReadOnlyList<string> Problems);

    internal sealed record QueueHealth(IReadOnlyDictionary<string, int> Depth, int Running, double? OldestQueuedAgeSeconds);

    internal sealed record DatabaseHealth(bool Ok, string Path);

    internal sealed record DockerHealth(bool SocketConnected, bool ImageAvailable, string ImageName, bool NetworkExists);

    internal sealed record AgentHealth(string Name, string Role, string Container, string State, string Health, string Image, DateTime? StartedAt, int TaskSandboxes, int WarmSandboxes);
}
