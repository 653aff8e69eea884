using System.Security.Cryptography;
using ClaudeHooks.Agents;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;
using Docker.DotNet;
using Docker.DotNet.Models;
using TaskState = ClaudeHooks.Tasks.TaskState;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeHooks.TestServers;

/// <summary>
/// Agent containers under a prefix of their own, with a claude-hooks home, a database, a gateway, a scripted model
/// and a real git remote, and the task sandboxes made from them. The servers listen on host loopback: containers
/// have no network and reach them only through the gateway, as in production. Disposing removes every container
/// (sandboxes included), volume and network carrying the prefix label.
/// </summary>
public sealed class AgentSandbox : IAsyncDisposable
{
    private AgentSandbox(DockerClient docker, string prefix, string home)
    {
        Docker = docker;
        Prefix = prefix;
        Home = home;
    }

    public DockerClient Docker { get; }

    public string Prefix { get; }

    public string Home { get; }

    public ScriptedModelServer Model { get; private set; } = null!;

    public GitHttpServer Git { get; private set; } = null!;

    internal ClaudeHooksPaths Paths => new(Home);

    internal AgentsConfig Config { get; private set; } = null!;

    public string ConfigFile => Path.Combine(Home, "agents.json");

    internal ITaskStore Store { get; private set; } = null!;

    internal TaskEventBus Events { get; private set; } = null!;

    internal ContainerRuntime Runtime => new(Docker);

    /// <summary>The gateway of in-process runs (a service process has its own).</summary>
    internal Gateway.HostGateway Gateway { get; private set; } = null!;

    internal Gateway.EgressLog Egress { get; private set; } = null!;

    /// <summary>The sandboxes of in-process runs (the tests' own pool; a service process has its own).</summary>
    internal SandboxManager Sandboxes { get; private set; } = null!;

    public static string NewPrefix(string kind) => $"{kind}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    /// <summary>
    /// Writes <paramref name="secrets"/> (paths relative to the home, mode 0600, owned by <paramref name="owners"/>
    /// where given) and <paramref name="configJson"/>, brings the agents up, and points the model endpoint at the
    /// scripted model on <paramref name="serverAgent"/>'s network.
    /// </summary>
    public static async Task<AgentSandbox> StartAsync(
        DockerClient docker,
        string prefix,
        string configJson,
        IReadOnlyDictionary<string, string> secrets,
        string serverAgent,
        IReadOnlyDictionary<string, int>? owners = null)
    {
        var sandbox = new AgentSandbox(docker, prefix, Directory.CreateTempSubdirectory("claude-hooks-sandbox-").FullName);
        try
        {
            foreach (var (path, content) in secrets)
            {
                WriteSecret(Path.Combine(sandbox.Home, path), content, owners?.GetValueOrDefault(path));
            }

            var configFile = Path.Combine(sandbox.Home, "agents.json");
            await File.WriteAllTextAsync(configFile, configJson);
            sandbox.Config = ConfigLoader.Load(configFile, sandbox.Paths);
            await sandbox.Reconciler().UpAsync(sandbox.Config.Agents, CancellationToken.None);

            const string loopback = "127.0.0.1";
            sandbox.Model = await ScriptedModelServer.StartAsync([loopback]);
            sandbox.Git = await GitHttpServer.StartAsync(loopback);
            // Written to the file too, so a service process started from it reaches the scripted model.
            var json = System.Text.Json.Nodes.JsonNode.Parse(configJson)!.AsObject();
            json["model"] = new System.Text.Json.Nodes.JsonObject { ["base_url"] = sandbox.Model.BaseUrl(loopback).ToString() };
            foreach (var (_, agent) in json["agents"]!.AsObject())
            {
                if (agent is System.Text.Json.Nodes.JsonObject entry && !entry.ContainsKey("egress_allow"))
                {
                    entry["egress_allow"] = new System.Text.Json.Nodes.JsonArray(sandbox.Git.CallHomeRule);
                }
            }

            await File.WriteAllTextAsync(configFile, json.ToJsonString());
            sandbox.Config = ConfigLoader.Load(configFile, sandbox.Paths);
            sandbox.Store = new SqliteTaskStore(await Database.OpenAndMigrateAsync(Path.Combine(sandbox.Home, "data")), TimeProvider.System);
            sandbox.Events = new TaskEventBus(sandbox.Store);
            sandbox.Egress = new Gateway.EgressLog(await Database.OpenAndMigrateAsync(Path.Combine(sandbox.Home, "data")), TimeProvider.System, NullLogger<Gateway.EgressLog>.Instance);
            sandbox.Gateway = new Gateway.HostGateway(sandbox.Config, sandbox.Paths, sandbox.Events, sandbox.Egress.Record, TimeProvider.System, NullLoggerFactory.Instance);
            await sandbox.Gateway.StartAsync([], CancellationToken.None);
            sandbox.Sandboxes = new SandboxManager(sandbox.Runtime, sandbox.Config, sandbox.Gateway, NullLogger<SandboxManager>.Instance);
            return sandbox;
        }
        catch
        {
            await sandbox.DisposeAsync();
            throw;
        }
    }

    internal ContainerReconciler Reconciler() => new(Docker, Config, NullLogger<ContainerReconciler>.Instance);

    internal AgentRunner Runner(IReadOnlyList<string>? command = null) =>
        new(Runtime, Sandboxes, Gateway, Config, Paths, Store, Events, NullLogger<AgentRunner>.Instance) { StopGrace = TimeSpan.FromSeconds(1), CommandOverride = command };

    /// <summary>A new task row in the running state, as a worker would have claimed it.</summary>
    internal async Task<TaskRecord> NewRunningTaskAsync(string agent, string repo, string thread, string prompt, CancellationToken cancellationToken, string? baseRef = null, string? guidanceRef = null)
    {
        var now = DateTimeOffset.UtcNow;
        var task = new TaskRecord(Guid.NewGuid().ToString("N"), agent, repo, baseRef, thread, prompt, TaskState.Running, 1, now, now, null, GuidanceRef: guidanceRef,
            LeaseOwner: "test", LeaseExpiresAt: now + TimeSpan.FromHours(1));
        await Store.CreateTaskAsync(task, "claimed by a test", cancellationToken);
        return task;
    }

    /// <summary>Runs a new task in a sandbox with <paramref name="runner"/> (default: <see cref="Runner"/>) and records its end, as a worker would.</summary>
    internal async Task<(TaskRecord Task, RunOutcome Outcome)> RunToEndAsync(
        string agent, string repo, string thread, string prompt, CancellationToken cancellationToken, string? baseRef = null, string? guidanceRef = null, AgentRunner? runner = null)
    {
        var task = await NewRunningTaskAsync(agent, repo, thread, prompt, cancellationToken, baseRef, guidanceRef);
        var outcome = await (runner ?? Runner()).RunAsync(task, cancellationToken);
        await new TaskStateMachine(Store, new NoTaskReactions(), Config, TimeProvider.System, NullLogger<TaskStateMachine>.Instance).FinishAsync(task, "test", outcome with { Transient = false }, cancellationToken);
        return (task, outcome);
    }

    public async ValueTask DisposeAsync()
    {
        if (Sandboxes is not null)
        {
            await Sandboxes.DisposeAsync();
        }

        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }

        if (Egress is not null)
        {
            await Egress.DisposeAsync();
        }

        if (Model is not null)
        {
            await Model.DisposeAsync();
        }

        if (Git is not null)
        {
            await Git.DisposeAsync();
        }

        var filter = ResourceNames.Filter(Prefix);
        foreach (var container in await Docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter }))
        {
            // A service process stopping at the same time may remove its own sandboxes first.
            await Runtime.RemoveAsync(container.ID, CancellationToken.None);
        }

        foreach (var volume in (await Docker.Volumes.ListAsync(new VolumesListParameters { Filters = filter })).Volumes ?? [])
        {
            await Docker.Volumes.RemoveAsync(volume.Name, force: true);
        }

        foreach (var network in await Docker.Networks.ListNetworksAsync(new NetworksListParameters { Filters = filter }))
        {
            await Docker.Networks.DeleteNetworkAsync(network.ID);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Home, recursive: true);
    }

    /// <summary>The uid of the image's <c>claude</c> user, which must be able to read a mounted credentials file.</summary>
    public const int ContainerUid = 1000;

    public static void WriteSecret(string path, string content, int? owner = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (owner is { } uid && Environment.UserName == "root")
        {
            using var chown = System.Diagnostics.Process.Start("chown", [$"{uid}:{uid}", path]);
            chown.WaitForExit();
        }
    }

    /// <summary>Builds the agent image when the engine lacks it (scripts/test builds it beforehand).</summary>
    public static async Task EnsureImageAsync(DockerClient docker, string image)
    {
        try
        {
            await docker.Images.InspectImageAsync(image);
            return;
        }
        catch (DockerImageNotFoundException)
        {
        }

        var bundle = Environment.GetEnvironmentVariable("CLAUDE_HOOKS_EXTRA_CA_BUNDLE");
        if (bundle is null && Directory.Exists("/usr/local/share/ca-certificates") && Directory.EnumerateFiles("/usr/local/share/ca-certificates", "*.crt", SearchOption.AllDirectories).Any())
        {
            bundle = "/usr/local/share/ca-certificates";
        }

        await Console.Error.WriteLineAsync($"building {image} (scripts/test builds it once beforehand)");
        await new ImageBuilder(docker).BuildAsync(ImageBuilder.DefaultContextDirectory, image, bundle, _ => { }, CancellationToken.None);
    }
}
