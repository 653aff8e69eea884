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
/// docker, local or mixed, and per agent) and, when any runs on the host, what that does not isolate; per agent
/// whether it can run and why not; the database's size, the data directory's free disk and the config file loaded.
/// </summary>
internal static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api").MapGet("/health", GetHealthAsync).WithName("GetHealth");
        return app;
    }

    private static readonly JsonSerializerOptions CamelCase = new(JsonSerializerDefaults.Web);

    private static async Task<IResult> GetHealthAsync(DockerClient docker, AgentsConfig config, ClaudeHooksPaths paths, ITaskStore store, Database database, TaskWorker worker, Hosting.DiskGuard disk, TimeProvider time, CancellationToken cancellationToken)
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

        var blockers = AgentReadiness.Check(config, paths, status, time);
        var body = Compose(config, status, queue, worker.Draining, database.FilePath, problems, blockers, disk.Measure());
        return TypedResults.Json(body, CamelCase, statusCode: body.Ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>
    /// The answer: ok when the database answers, if any agent has sandboxes the engine has all they need, every agent
    /// can run (<paramref name="blockers"/> says why one cannot) and the disk has room.
    /// </summary>
    internal static HealthResponse Compose(
        AgentsConfig config, EngineStatus status, QueueHealth? queue, bool draining, string databasePath, IReadOnlyList<string> problems,
        IReadOnlyDictionary<string, IReadOnlyList<AgentBlocker>>? blockers = null, Hosting.StorageStatus? storage = null)
    {
        var engineOk = LocalMode.Containerised(config).Count == 0
            || (status.SocketConnected && status.ImageAvailable && status.NetworkExists && status.Agents.All(a => a.State == "running"));
        var agents = Agents(config, status)
            .Select(a => blockers?.GetValueOrDefault(a.Name) is { Count: > 0 } these ? a with { CanRun = false, Blockers = these } : a)
            .ToList();
        var all = problems.ToList();
        all.AddRange(agents.SelectMany(a => a.Blockers.Select(b => $"agent {a.Name} cannot run: {b.Reason}; {b.Fix}")));
        if (storage?.Refusal is { } refusal)
        {
            all.Add($"disk: {refusal}");
        }

        return new HealthResponse(
            engineOk && queue is not null && agents.All(a => a.CanRun) && (storage?.DiskOk ?? true),
            LocalMode.Of(config),
            draining,
            new DockerHealth(status.SocketConnected, status.ImageAvailable, status.ImageName, status.NetworkExists),
            agents,
            queue,
            new DatabaseHealth(queue is not null, databasePath) { SizeBytes = storage?.DatabaseBytes, WalBytes = storage?.WalBytes },
            all)
        {
            LocalModeWarning = LocalMode.Warning(config),
            ConfigFile = Path.GetFullPath(config.FilePath),
            Disk = storage is null ? null : new DiskHealth(storage.DiskOk, storage.DataDirectory, storage.FreeBytes, storage.TotalBytes, storage.MinFreeBytes),
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

        /// <summary>The agents.json the service loaded, so <c>doctor</c> can tell when it checks another.</summary>
        public string ConfigFile { get; init; } = "";

        /// <summary>The data directory's disk against <c>service.min_free_disk</c>.</summary>
        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        public DiskHealth? Disk { get; init; }
    }

    internal sealed record DiskHealth(bool Ok, string Path, long FreeBytes, long TotalBytes, long MinFreeBytes);

    internal sealed record QueueHealth(IReadOnlyDictionary<string, int> Depth, int Running, double? OldestQueuedAgeSeconds);

    internal sealed record DatabaseHealth(bool Ok, string Path)
    {
        /// <summary>The database file's size; the write-ahead log beside it is <see cref="WalBytes"/>.</summary>
        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        public long? SizeBytes { get; init; }

        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        public long? WalBytes { get; init; }
    }

    internal sealed record DockerHealth(bool SocketConnected, bool ImageAvailable, string ImageName, bool NetworkExists);

    internal sealed record AgentHealth(string Name, string Role, string Container, string State, string Health, string Image, DateTime? StartedAt, int TaskSandboxes, int WarmSandboxes)
    {
        /// <summary>"docker" (sandboxes) or "local" (a host process).</summary>
        public string Mode { get; init; } = LocalMode.Docker;

        /// <summary>False when a credential, the engine, the image, the runtime or the container keeps the agent from running a task.</summary>
        public bool CanRun { get; init; } = true;

        /// <summary>Why it cannot run, each with the fix; empty when it can.</summary>
        public IReadOnlyList<AgentBlocker> Blockers { get; init; } = [];
    }
}
