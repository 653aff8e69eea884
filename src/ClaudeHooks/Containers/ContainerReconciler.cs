using ClaudeHooks.Config;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ClaudeHooks.Containers;

/// <summary>
/// Brings the engine in line with the config, looking resources up by label each time: adopts a running
/// container, starts a stopped one, creates a missing one, and never leaves two per agent.
/// </summary>
internal sealed partial class ContainerReconciler(DockerClient docker, AgentsConfig config, ILogger<ContainerReconciler> logger)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReadyInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Creates, starts or adopts each agent's container. One whose spec changed (its config, or its image rebuilt
    /// under the same tag) is replaced, its volumes kept; warm sandboxes of an outdated image are removed, so the
    /// service's pool makes new ones. Local agents (runtime "local") have no container and are skipped.
    /// </summary>
    /// <param name="agents">The agents to bring up.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <param name="progress">Told each step as it starts (<c>starting</c>) and each result as it is known, in order.</param>
    public async Task<IReadOnlyList<string>> UpAsync(IReadOnlyList<AgentConfig> agents, CancellationToken cancellationToken, Action<string, bool>? progress = null)
    {
        var results = LocalAgents(agents);
        results.ForEach(line => progress?.Invoke(line, false));
        agents = [.. agents.Where(a => !a.IsLocal)];

        // Everything that can fail for config reasons is checked before anything is created.
        var specs = await WithImageIdsAsync(agents.Select(Specify).ToList(), cancellationToken);
        foreach (var (agent, spec) in agents.Zip(specs))
        {
            LogOverrides(agent);
            progress?.Invoke($"{spec.Name}: creating or starting it from {spec.Image}, then waiting for its health probe", true);
            Add(await UpOneAsync(spec, cancellationToken));
            if (await RemoveOutdatedWarmSandboxesAsync(agent, spec.ImageId!, cancellationToken) is > 0 and var removed)
            {
                Add($"{spec.Name}: {removed} warm sandbox(es) of an older build of {spec.Image} removed; the service makes new ones");
            }
        }

        return results;

        void Add(string line)
        {
            results.Add(line);
            progress?.Invoke(line, false);
        }
    }

    public async Task<IReadOnlyList<string>> RebuildAsync(IReadOnlyList<AgentConfig> agents, CancellationToken cancellationToken)
    {
        var results = LocalAgents(agents);
        agents = [.. agents.Where(a => !a.IsLocal)];
        var specs = await WithImageIdsAsync(agents.Select(Specify).ToList(), cancellationToken);

        foreach (var (agent, spec) in agents.Zip(specs))
        {
            LogOverrides(agent);
            foreach (var existing in await FindAsync(agent.Name, cancellationToken))
            {
                await RemoveContainerAsync(existing.ID, cancellationToken);
            }

            var replaced = await ReplaceLegacyStateVolumeAsync(agent, cancellationToken);
            await CreateAndStartAsync(spec, cancellationToken);
            results.Add($"{spec.Name}: recreated from {spec.Image}; {(replaced ? LegacyNote : "volumes kept")}");
        }

        return results;
    }

    public async Task<IReadOnlyList<string>> DownAsync(IReadOnlyList<AgentConfig> agents, bool removeVolumes, CancellationToken cancellationToken)
    {
        var results = new List<string>();
        var runtime = new ContainerRuntime(docker);
        foreach (var agent in agents)
        {
            var sandboxes = await docker.Containers.ListContainersAsync(
                new ContainersListParameters { All = true, Filters = ResourceNames.SandboxFilter(config.ContainerPrefix, agent.Name) }, cancellationToken);
            foreach (var sandbox in sandboxes)
            {
                await runtime.RemoveAsync(sandbox.ID, cancellationToken);
            }

            var containers = await FindAsync(agent.Name, cancellationToken);
            foreach (var container in containers)
            {
                await RemoveContainerAsync(container.ID, cancellationToken);
            }

            results.Add($"{ResourceNames.Container(config.ContainerPrefix, agent.Name)}: {(containers.Count > 0 ? "removed" : "not present")}{(sandboxes.Count > 0 ? $", {sandboxes.Count} task sandbox(es) removed" : "")}");
        }

        await RemoveUnusedNetworksAsync(agents, cancellationToken);
        if (removeVolumes)
        {
            foreach (var agent in agents)
            {
                var volumes = await docker.Volumes.ListAsync(new VolumesListParameters { Filters = ResourceNames.Filter(config.ContainerPrefix, agent.Name) }, cancellationToken);
                foreach (var volume in volumes.Volumes ?? [])
                {
                    await docker.Volumes.RemoveAsync(volume.Name, force: true, cancellationToken);
                    results.Add($"{volume.Name}: volume removed");
                }
            }
        }

        return results;
    }

    /// <summary>The agent's container spec, with the host folder of its gateway sockets made (the container mounts it).</summary>
    private ContainerSpec Specify(AgentConfig agent)
    {
        try
        {
            Gateway.HostGateway.PrepareAgentFolder(config.GatewayRoot, agent.Name);
        }
        catch (Gateway.GatewayException e)
        {
            throw new ContainerOperationException(e.Message);
        }

        return ContainerSpecFactory.Create(config, agent);
    }

    /// <summary>The agents' long-lived containers (never their task sandboxes).</summary>
    public async Task<IList<ContainerListResponse>> FindAsync(string? agent, CancellationToken cancellationToken) =>
        (await docker.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = ResourceNames.Filter(config.ContainerPrefix, agent) },
            cancellationToken)).Where(c => !ResourceNames.IsSandbox(c.Labels)).ToList();

    /// <summary>The single container of an agent, or null. Used by every verb that acts on a running agent.</summary>
    public async Task<ContainerListResponse?> FindOneAsync(string agent, CancellationToken cancellationToken) =>
        (await FindAsync(agent, cancellationToken))
            .OrderByDescending(c => c.Names.Contains("/" + ResourceNames.Container(config.ContainerPrefix, agent)))
            .ThenByDescending(c => c.State == "running")
            .FirstOrDefault();

    private async Task<string> UpOneAsync(ContainerSpec spec, CancellationToken cancellationToken)
    {
        // Keep the container with the canonical name (then a running one, then the newest); remove the rest.
        var existing = (await FindAsync(spec.Agent, cancellationToken))
            .OrderByDescending(c => c.Names.Contains("/" + spec.Name))
            .ThenByDescending(c => c.State == "running")
            .ThenByDescending(c => c.Created)
            .ToList();

        foreach (var extra in existing.Skip(1))
        {
            LogRemovingDuplicate(spec.Agent, extra.ID[..12]);
            await RemoveContainerAsync(extra.ID, cancellationToken);
        }

        if (existing.Count == 0)
        {
            var replaced = await ReplaceLegacyStateVolumeAsync(config.Find(spec.Agent)!, cancellationToken);
            await CreateAndStartAsync(spec, cancellationToken);
            return $"{spec.Name}: created and started{(replaced ? "; " + LegacyNote : "")}";
        }

        var current = existing[0];
        if (await IsLegacyStateVolumeAsync(spec.Agent, cancellationToken))
        {
            // The old layout kept every thread's transcripts and worktrees where sandboxes would see them: replace it.
            await RemoveContainerAsync(current.ID, cancellationToken);
            await ReplaceLegacyStateVolumeAsync(config.Find(spec.Agent)!, cancellationToken);
            await CreateAndStartAsync(spec, cancellationToken);
            return $"{spec.Name}: recreated; {LegacyNote}";
        }

        if (!current.Labels.TryGetValue(ResourceNames.SpecHashLabel, out var hash) || hash != ContainerConfigurationConverter.SpecHash(spec))
        {
            // Its config changed or its image was rebuilt under the same tag: replace it, keeping its volumes. A task
            // running on the old one sees its container replaced and is queued again, not failed.
            var why = current.ImageID != spec.ImageId ? $"{spec.Image} was rebuilt ({Short(current.ImageID)} → {Short(spec.ImageId)})" : "its config changed";
            await RemoveContainerAsync(current.ID, cancellationToken);
            await CreateAndStartAsync(spec, cancellationToken);
            return $"{spec.Name}: recreated, {why}; volumes kept";
        }

        if (current.State == "running")
        {
            await WaitReadyAsync(current.ID, spec.Name, cancellationToken);
            return $"{spec.Name}: already running, adopted";
        }

        await EnsureNetworkAsync(spec, cancellationToken);
        await docker.Containers.StartContainerAsync(current.ID, new ContainerStartParameters(), cancellationToken);
        await WaitReadyAsync(current.ID, spec.Name, cancellationToken);
        return $"{spec.Name}: started (was {current.State})";
    }

    private async Task CreateAndStartAsync(ContainerSpec spec, CancellationToken cancellationToken)
    {
        await EnsureNetworkAsync(spec, cancellationToken);
        foreach (var volume in spec.Mounts.Where(m => m.Kind == MountKind.Volume))
        {
            await EnsureVolumeAsync(volume.Source, spec.Agent, cancellationToken);
        }

        CreateContainerResponse created;
        try
        {
            created = await docker.Containers.CreateContainerAsync(ContainerConfigurationConverter.ToCreateParameters(spec), cancellationToken);
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            throw new ContainerOperationException(
                $"a container named {spec.Name} exists but does not carry claude-hooks' labels; remove or rename it ('docker rm -f {spec.Name}') and run again");
        }

        try
        {
            await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
            await WaitReadyAsync(created.ID, spec.Name, cancellationToken);
        }
        catch
        {
            // Nothing half-created: a container that cannot start is removed, its volumes stay.
            await docker.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Waits until the container runs and its own health probe passes (explicit interval and timeout).</summary>
    private async Task WaitReadyAsync(string id, string name, CancellationToken cancellationToken)
    {
        var runtime = new ContainerRuntime(docker);
        var deadline = DateTime.UtcNow + ReadyTimeout;
        string last = "not started";
        while (DateTime.UtcNow < deadline)
        {
            var inspect = await docker.Containers.InspectContainerAsync(id, cancellationToken);
            if (inspect.State!.Running)
            {
                var probe = await runtime.ExecAsync(id, ["/usr/local/bin/agent-health"], cancellationToken: cancellationToken);
                if (probe.Succeeded)
                {
                    return;
                }

                last = $"health probe failed: {(probe.Stderr + probe.Stdout).Trim()}";
            }
            else if (inspect.State!.Status is "exited" or "dead")
            {
                throw new ContainerOperationException(
                    $"{name} exited with code {inspect.State!.ExitCode} right after starting ({inspect.State!.Error}); see 'claude-hooks containers logs {inspect.Config!.Labels[ResourceNames.AgentLabel]}'");
            }

            await Task.Delay(ReadyInterval, cancellationToken);
        }

        throw new ContainerOperationException($"{name} did not become ready within {ReadyTimeout.TotalSeconds:0} s ({last})");
    }

    /// <summary>The specs with their images' ids; a missing image is an error with the command that builds it, before anything is created.</summary>
    private async Task<List<ContainerSpec>> WithImageIdsAsync(List<ContainerSpec> specs, CancellationToken cancellationToken)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var image in specs.Select(s => s.Image).Distinct(StringComparer.Ordinal))
        {
            try
            {
                ids[image] = (await docker.Images.InspectImageAsync(image, cancellationToken)).ID;
            }
            catch (DockerImageNotFoundException)
            {
                throw new ContainerOperationException($"image {image} is not in the engine; build it with '{Stacks.BuildCommand(image)}' (or 'scripts/start')");
            }
        }

        return [.. specs.Select(s => s with { ImageId = ids[s.Image] })];
    }

    /// <summary>Removes the agent's warm sandboxes (made by any service process) that run another build of its image than <paramref name="imageId"/>.</summary>
    private async Task<int> RemoveOutdatedWarmSandboxesAsync(AgentConfig agent, string imageId, CancellationToken cancellationToken)
    {
        var runtime = new ContainerRuntime(docker);
        var removed = 0;
        var warmPrefix = "/" + ResourceNames.WarmSandbox(config.ContainerPrefix, agent.Name, "");
        foreach (var sandbox in await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = ResourceNames.SandboxFilter(config.ContainerPrefix, agent.Name) }, cancellationToken))
        {
            if (sandbox.Names.Any(n => n.StartsWith(warmPrefix, StringComparison.Ordinal)) && sandbox.ImageID != imageId && await runtime.RemoveAsync(sandbox.ID, cancellationToken))
            {
                removed++;
            }
        }

        return removed;
    }

    private static List<string> LocalAgents(IReadOnlyList<AgentConfig> agents) =>
        [.. agents.Where(a => a.IsLocal).Select(a => $"{a.Name}: runs on the host (container.runtime \"local\"), no container")];

    private static string Short(string? id) => id is null ? "?" : id.Replace("sha256:", "", StringComparison.Ordinal)[..Math.Min(12, id.Replace("sha256:", "", StringComparison.Ordinal).Length)];

    private async Task EnsureNetworkAsync(ContainerSpec spec, CancellationToken cancellationToken)
    {
        if (spec.Network == "none")
        {
            return;
        }

        var networks = await docker.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [spec.Network] = true } },
        }, cancellationToken);
        if (networks.Any(n => n.Name == spec.Network))
        {
            return;
        }

        if (!spec.OwnNetwork)
        {
            throw new ContainerOperationException(
                $"network {spec.Network} (agents.{spec.Agent}.container.network) does not exist; create it with 'docker network create {spec.Network}' or remove the key");
        }

        // No traffic between containers on it: concurrent sandboxes of the agent cannot reach each other.
        await docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
        {
            Name = spec.Network,
            Driver = "bridge",
            Labels = ResourceNames.Labels(config.ContainerPrefix, spec.Agent),
            Options = new Dictionary<string, string> { [ResourceNames.InterContainerOption] = "false" },
        }, cancellationToken);
    }

    private const string LegacyNote = "its state volume had the old layout (transcripts and worktrees of every thread) and was replaced by an empty repository cache; sessions of earlier tasks start fresh";

    /// <summary>A state volume made before sandboxes (no layout label) holds what no sandbox may see.</summary>
    private async Task<bool> IsLegacyStateVolumeAsync(string agent, CancellationToken cancellationToken)
    {
        try
        {
            var volume = await docker.Volumes.InspectAsync(ResourceNames.StateVolume(config.ContainerPrefix, agent), cancellationToken);
            return volume.Labels is null || !volume.Labels.TryGetValue(ResourceNames.LayoutLabel, out var layout) || layout != ResourceNames.StateLayout;
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private async Task<bool> ReplaceLegacyStateVolumeAsync(AgentConfig agent, CancellationToken cancellationToken)
    {
        if (!await IsLegacyStateVolumeAsync(agent.Name, cancellationToken))
        {
            return false;
        }

        var name = ResourceNames.StateVolume(config.ContainerPrefix, agent.Name);
        LogLegacyVolume(agent.Name, name);
        await docker.Volumes.RemoveAsync(name, force: true, cancellationToken);
        return true;
    }

    private async Task EnsureVolumeAsync(string name, string agent, CancellationToken cancellationToken)
    {
        try
        {
            var volume = await docker.Volumes.InspectAsync(name, cancellationToken);
            if (volume.Labels is null || !volume.Labels.TryGetValue(ResourceNames.PrefixLabel, out var prefix) || prefix != config.ContainerPrefix)
            {
                throw new ContainerOperationException(
                    $"volume {name} exists but was not created by claude-hooks for prefix {config.ContainerPrefix}; rename it or remove it ('docker volume rm {name}')");
            }
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            var labels = ResourceNames.Labels(config.ContainerPrefix, agent);
            if (name == ResourceNames.StateVolume(config.ContainerPrefix, agent))
            {
                labels[ResourceNames.LayoutLabel] = ResourceNames.StateLayout;
            }

            await docker.Volumes.CreateAsync(new VolumesCreateParameters { Name = name, Labels = labels }, cancellationToken);
        }
    }

    private async Task RemoveContainerAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Containers.StopContainerAsync(id, new ContainerStopParameters { WaitBeforeKillSeconds = 10 }, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            return;
        }

        await docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, cancellationToken);
    }

    private async Task RemoveUnusedNetworksAsync(IEnumerable<AgentConfig> agents, CancellationToken cancellationToken)
    {
        foreach (var agent in agents)
        {
            var networks = await docker.Networks.ListNetworksAsync(new NetworksListParameters { Filters = ResourceNames.Filter(config.ContainerPrefix, agent.Name) }, cancellationToken);
            foreach (var network in networks)
            {
                var detail = await docker.Networks.InspectNetworkAsync(network.ID, cancellationToken);
                if (detail.Containers is null || detail.Containers.Count == 0)
                {
                    await docker.Networks.DeleteNetworkAsync(network.ID, cancellationToken);
                }
            }
        }
    }

    private void LogOverrides(AgentConfig agent)
    {
        foreach (var change in agent.HardeningOverrides)
        {
            LogOverride(agent.Name, change);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "agent {Agent}: hardening override {Change}")]
    private partial void LogOverride(string agent, string change);

    [LoggerMessage(Level = LogLevel.Warning, Message = "agent {Agent}: state volume {Volume} has the layout from before task sandboxes; replacing it with an empty repository cache")]
    private partial void LogLegacyVolume(string agent, string volume);

    [LoggerMessage(Level = LogLevel.Warning, Message = "agent {Agent}: removing duplicate container {Id}")]
    private partial void LogRemovingDuplicate(string agent, string id);
}

internal sealed class ContainerOperationException(string message) : Exception(message);
