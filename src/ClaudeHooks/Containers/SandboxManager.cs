using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using ClaudeHooks.Config;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ClaudeHooks.Containers;

/// <summary>
/// Task sandboxes: one short-lived container per task, made from its agent's image and container spec, and
/// removed (with its checkout volume and every process in it) when the task ends. Keeps a warm pool of started
/// sandboxes per agent (<c>warm_sandboxes</c>) so a task does not wait for a container to start; a warm sandbox
/// that died or runs an outdated image is removed, never used. Sandboxes left by a crash are reaped by label.
/// </summary>
internal sealed partial class SandboxManager(ContainerRuntime runtime, AgentsConfig config, Gateway.HostGateway gateway, ILogger<SandboxManager> logger, Hosting.ServiceMetrics? metrics = null) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Sandbox>> _warm = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _filling = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, bool> _background = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lazy<bool> _trust = new(() => SandboxTrust.Prepare(config));
    private int _disposed;

    /// <summary>Marks the warm sandboxes this process made, so a reaper in another process (or after a crash) knows they are not its own.</summary>
    public string PoolId { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>
    /// A sandbox for <paramref name="taskId"/>: a warm one renamed for the task when one is ready and the task's
    /// <paramref name="profile"/> is the agent's own (same image and settings), else a new one made from the profile.
    /// The caller tops the pool up with <see cref="Refill"/> once its run has started, so that making the next
    /// sandbox does not compete with this one's start for the CPU.
    /// </summary>
    public async Task<Sandbox> AcquireAsync(AgentConfig agent, string taskId, CancellationToken cancellationToken, Agents.TaskProfile? profile = null)
    {
        var name = ResourceNames.Sandbox(config.ContainerPrefix, agent.Name, ResourceNames.TaskKey(taskId));
        if (profile is { IsAgentDefault: false })
        {
            return await CreateAsync(agent, name, taskId, cancellationToken, profile);
        }

        var queue = _warm.GetOrAdd(agent.Name, _ => new ConcurrentQueue<Sandbox>());
        while (queue.TryDequeue(out var warm))
        {
            if (await UsableAsync(agent, warm, cancellationToken))
            {
                await runtime.Engine.Containers.RenameContainerAsync(warm.Id, new ContainerRenameParameters { NewName = name }, cancellationToken);
                return warm with { Name = name };
            }

            LogDiscarded(warm.Name, agent.Name);
            await RemoveAsync(warm);
        }

        return await CreateAsync(agent, name, taskId, cancellationToken);
    }

    /// <summary>
    /// Ends a sandbox: counts what still runs in it besides its init (processes the task left behind), removes it
    /// with everything in it, and checks that it is gone.
    /// </summary>
    public async Task<SandboxEnd> ReleaseAsync(Sandbox sandbox)
    {
        var killed = 0;
        try
        {
            killed = (await runtime.ProcessesAsync(sandbox.Id, CancellationToken.None)).Count(p => !sandbox.IsInit(p));
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException)
        {
            // Not running any more (the task stopped its own init, or it is already gone): nothing of it can still run.
        }

        try
        {
            await runtime.RemoveAsync(sandbox.Id, CancellationToken.None);
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException)
        {
            LogRemoveFailed(sandbox.Name, e.Message);
        }

        gateway.CloseSandbox(sandbox.SocketId);
        var still = await runtime.InspectAsync(sandbox.Id, CancellationToken.None);
        var left = still is { State.Running: true } ? (await runtime.ProcessesAsync(sandbox.Id, CancellationToken.None)).Count : 0;
        return new SandboxEnd(killed, left);
    }

    /// <summary>Fills every agent's pool to its <c>warm_sandboxes</c>, replacing warm sandboxes that died.</summary>
    public async Task MaintainAsync(CancellationToken cancellationToken)
    {
        foreach (var agent in config.Agents)
        {
            var queue = _warm.GetOrAdd(agent.Name, _ => new ConcurrentQueue<Sandbox>());
            var count = queue.Count;
            for (var i = 0; i < count && queue.TryDequeue(out var warm); i++)
            {
                if (await UsableAsync(agent, warm, cancellationToken))
                {
                    queue.Enqueue(warm);
                    continue;
                }

                LogDiscarded(warm.Name, agent.Name);
                await RemoveAsync(warm);
            }

            await FillAsync(agent, cancellationToken);
        }
    }

    public int WarmCount(string agent) => _warm.TryGetValue(agent, out var queue) ? queue.Count : 0;

    /// <summary>
    /// Removes every sandbox of this prefix that is neither one of this pool's warm ones nor bound to a task in
    /// <paramref name="liveTaskKeys"/>, and any checkout volume a crash left without its container.
    /// </summary>
    /// <remarks>
    /// The sandboxes are listed before the live tasks are read, so a task claimed in between (its sandbox just
    /// made or renamed) is seen as live, never reaped.
    /// </remarks>
    public async Task<IReadOnlyList<string>> ReapAsync(Func<CancellationToken, Task<IReadOnlySet<string>>> liveTaskKeys, CancellationToken cancellationToken)
    {
        var removed = new List<string>();
        var containers = await ListAsync(config.ContainerPrefix, cancellationToken);
        var live = await liveTaskKeys(cancellationToken);
        foreach (var container in containers)
        {
            var name = container.Names.FirstOrDefault()?.TrimStart('/') ?? container.ID;
            var labels = container.Labels ?? new Dictionary<string, string>();
            var agent = labels.TryGetValue(ResourceNames.AgentLabel, out var a) ? a : "";
            var key = name.StartsWith($"{config.ContainerPrefix}-{agent}-", StringComparison.Ordinal) ? name[(config.ContainerPrefix.Length + agent.Length + 2)..] : "";
            var ours = labels.TryGetValue(ResourceNames.PoolLabel, out var pool) && pool == PoolId;
            if ((ours && key.StartsWith("warm-", StringComparison.Ordinal)) || live.Contains(key))
            {
                continue;
            }

            if (await runtime.RemoveAsync(container.ID, cancellationToken))
            {
                LogReaped(name);
                removed.Add(name);
            }

            if (labels.TryGetValue(ResourceNames.GatewayLabel, out var socket))
            {
                gateway.CloseSandbox(socket);
            }
        }

        var volumes = await runtime.Engine.Volumes.ListAsync(new VolumesListParameters { Filters = DanglingSandboxVolumes() }, cancellationToken);
        foreach (var volume in volumes.Volumes ?? [])
        {
            try
            {
                await runtime.Engine.Volumes.RemoveAsync(volume.Name, force: true, cancellationToken);
                removed.Add($"volume {volume.Name}");
            }
            catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
                // Its sandbox is still being created or removed; the next pass takes it.
            }
        }

        return removed;
    }

    /// <summary>Every sandbox of a prefix, running or not.</summary>
    public Task<IList<ContainerListResponse>> ListAsync(string prefix, CancellationToken cancellationToken) => ListAsync(runtime, prefix, cancellationToken);

    public static async Task<IList<ContainerListResponse>> ListAsync(ContainerRuntime runtime, string prefix, CancellationToken cancellationToken) =>
        await runtime.Engine.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = ResourceNames.SandboxFilter(prefix) }, cancellationToken);

    /// <summary>The gateway sockets of the sandboxes that run now (a restarted service serves them again).</summary>
    public static async Task<IReadOnlyList<string>> RunningSocketsAsync(ContainerRuntime runtime, string prefix, CancellationToken cancellationToken) =>
        (await ListAsync(runtime, prefix, cancellationToken))
            .Where(c => c.State == "running" && c.Labels is not null && c.Labels.ContainsKey(ResourceNames.GatewayLabel))
            .Select(c => c.Labels[ResourceNames.GatewayLabel])
            .ToList();

    /// <summary>A sandbox of the agent that is not bound to any task (used by audit to look inside one); removed by the caller with <see cref="ReleaseAsync"/>.</summary>
    public Task<Sandbox> CreateProbeAsync(AgentConfig agent, CancellationToken cancellationToken, Agents.TaskProfile? profile = null) =>
        CreateAsync(agent, ResourceNames.WarmSandbox(config.ContainerPrefix, agent.Name, "probe-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))), null, cancellationToken, profile);

    /// <summary>Removes the warm sandboxes; safe to call more than once (the worker and the host both do).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        await Task.WhenAll(_background.Keys);
        foreach (var queue in _warm.Values)
        {
            while (queue.TryDequeue(out var warm))
            {
                await RemoveAsync(warm);
            }
        }
    }

    /// <summary>Tops the agent's pool up in the background (no-op when it keeps no warm sandbox or is stopping).</summary>
    public void Refill(AgentConfig agent)
    {
        if (agent.WarmSandboxes == 0 || _stopping.IsCancellationRequested)
        {
            return;
        }

        var task = Task.Run(async () =>
        {
            try
            {
                await FillAsync(agent, _stopping.Token);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
            }
            catch (Exception e) when (e is DockerApiException or SandboxException or HttpRequestException)
            {
                LogFillFailed(agent.Name, e.Message);
            }
        }, CancellationToken.None);
        _background[task] = true;
        task.ContinueWith(t => _background.TryRemove(t, out _), TaskScheduler.Default);
    }

    private async Task FillAsync(AgentConfig agent, CancellationToken cancellationToken)
    {
        var gate = _filling.GetOrAdd(agent.Name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var queue = _warm.GetOrAdd(agent.Name, _ => new ConcurrentQueue<Sandbox>());
            while (queue.Count < agent.WarmSandboxes && !cancellationToken.IsCancellationRequested)
            {
                var name = ResourceNames.WarmSandbox(config.ContainerPrefix, agent.Name, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
                queue.Enqueue(await CreateAsync(agent, name, null, cancellationToken));
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task RemoveAsync(Sandbox sandbox)
    {
        await runtime.RemoveAsync(sandbox.Id, CancellationToken.None);
        gateway.CloseSandbox(sandbox.SocketId);
    }

    private async Task<bool> UsableAsync(AgentConfig agent, Sandbox sandbox, CancellationToken cancellationToken)
    {
        var inspect = await runtime.InspectAsync(sandbox.Id, cancellationToken);
        if (inspect is not { State.Running: true })
        {
            return false;
        }

        // An image rebuilt under the same tag makes the warm sandbox outdated.
        var image = await runtime.Engine.Images.InspectImageAsync(agent.Image, cancellationToken);
        return image.ID == inspect.Image;
    }

    private async Task<Sandbox> CreateAsync(AgentConfig agent, string name, string? taskId, CancellationToken cancellationToken, Agents.TaskProfile? profile = null)
    {
        try
        {
            _ = _trust.Value;
        }
        catch (ContainerOperationException e)
        {
            throw new SandboxException($"the extra CA certificates sandboxes trust could not be prepared: {e.Message}");
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal) { [ResourceNames.PoolLabel] = PoolId };
        if (taskId is not null)
        {
            labels[ResourceNames.TaskLabel] = taskId;
        }

        var socketId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var started = Stopwatch.GetTimestamp();
        string id;
        try
        {
            gateway.OpenSandbox(socketId, agent.Name);
            var spec = ContainerSpecFactory.CreateSandbox(config, agent, name, labels, socketId, profile);
            try
            {
                id = await runtime.CreateAndStartAsync(ContainerConfigurationConverter.ToCreateParameters(spec), cancellationToken);
            }
            catch (DockerApiException e)
            {
                throw new SandboxException(CreateFailure(agent, spec, e, profile));
            }
        }
        catch
        {
            gateway.CloseSandbox(socketId);
            throw;
        }

        var init = await runtime.ProcessesAsync(id, cancellationToken);
        // As the sandbox's user (the container's): its uid, then the init's idle child. An image whose passwd maps the
        // agent's user to uid 0 would run every task as root, whatever its Dockerfile says: it is never used.
        var idle = await runtime.ExecAsync(id, ["sh", "-c", "id -u && ps -o pid= --ppid 1"], cancellationToken: cancellationToken);
        var lines = idle.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var image = profile?.Image ?? agent.Image;
        if (!idle.Succeeded || lines.Length < 2 || lines[0] == "0")
        {
            await runtime.RemoveAsync(id, CancellationToken.None);
            gateway.CloseSandbox(socketId);
            throw new SandboxException(idle.Succeeded && lines.Length > 0 && lines[0] == "0"
                ? $"image {image} runs the agent's user {(profile?.Container ?? agent.Container).User} as root (uid 0); its tasks never run there. Rebuild it so the user is not root (build it FROM {Stacks.BaseImage})"
                : $"a new sandbox of agent {agent.Name} could not run a command ({idle.Stderr.Trim()}); its image {image} needs ps (procps) and the claude-hooks entrypoint (build it FROM {Stacks.BaseImage}); see 'claude-hooks doctor'");
        }

        // The engine's pids: the init (the process whose parent is outside the container) and its supervisor child,
        // which keeps the gateway's forwarder running; the forwarder may be restarted under a new pid.
        var tini = init.FirstOrDefault(p => init.All(q => q.Pid != p.ParentPid))?.Pid ?? "";
        var supervisor = init.FirstOrDefault(p => p.ParentPid == tini)?.Pid ?? "";
        var took = Stopwatch.GetElapsedTime(started);
        metrics?.SandboxStarted(agent.Name, warm: taskId is null, took);
        return new Sandbox(name, id, taskId is null, [tini, supervisor], lines[1], took, socketId);
    }

    /// <summary>The engine's message and what the operator can do about it.</summary>
    private string CreateFailure(AgentConfig agent, ContainerSpec spec, DockerApiException e, Agents.TaskProfile? profile)
    {
        var message = (e.ResponseBody ?? "").Trim();
        var fix = message switch
        {
            _ when message.Contains("No such image", StringComparison.OrdinalIgnoreCase) => $"build it with '{Stacks.BuildCommand(spec.Image)}' ({profile?.ChosenBy.Source ?? $"agents.{agent.Name}.image"} is {spec.Image})",
            _ when message.Contains("runtime", StringComparison.OrdinalIgnoreCase) => $"install the runtime {spec.Runtime} in the engine or remove {profile?.RuntimeSource ?? $"agents.{agent.Name}.container.runtime"}",
            _ when message.Contains("network", StringComparison.OrdinalIgnoreCase) => $"run 'claude-hooks containers up {agent.Name}' to create its network",
            _ when message.Contains("volume", StringComparison.OrdinalIgnoreCase) => $"run 'claude-hooks containers up {agent.Name}' to create its state volume",
            _ => "see 'claude-hooks doctor'",
        };
        return $"the engine could not create sandbox {spec.Name} for agent {agent.Name} ({(int)e.StatusCode}: {message}); {fix}";
    }

    private IDictionary<string, IDictionary<string, bool>> DanglingSandboxVolumes()
    {
        var filter = ResourceNames.SandboxFilter(config.ContainerPrefix);
        filter["dangling"] = new Dictionary<string, bool> { ["true"] = true };
        return filter;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "sandbox {Name} could not be removed ({Error}); the next reap removes it")]
    private partial void LogRemoveFailed(string name, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "sandbox {Name}: removed, no task of this service holds it")]
    private partial void LogReaped(string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "warm sandbox {Name} of agent {Agent} died or runs an outdated image; removed, not used")]
    private partial void LogDiscarded(string name, string agent);

    [LoggerMessage(Level = LogLevel.Warning, Message = "agent {Agent}: preparing a warm sandbox failed: {Error}")]
    private partial void LogFillFailed(string agent, string error);
}

/// <summary>
/// One sandbox: its container, whether it came warm from the pool, its init's and supervisor's pids as the engine
/// sees them, the supervisor's pid inside it (which stopping a task spares), how long it took to make, and its
/// gateway socket.
/// </summary>
internal sealed record Sandbox(string Name, string Id, bool Warm, IReadOnlyList<string> InitPids, string IdlePid, TimeSpan CreateTime, string SocketId)
{
    /// <summary>Whether an engine-listed process is the sandbox's own (init, supervisor, the forwarder it keeps running), not the task's.</summary>
    public bool IsInit(ContainerProcess process) => InitPids.Contains(process.Pid) || (InitPids.Count > 1 && InitPids[1].Length > 0 && process.ParentPid == InitPids[1]);
}

/// <summary>How a sandbox ended: processes the task left behind (killed with it) and processes still alive after removal (0 once it is gone).</summary>
internal sealed record SandboxEnd(int KilledProcesses, int LeftoverProcesses);

internal sealed class SandboxException(string message) : Exception(message);
