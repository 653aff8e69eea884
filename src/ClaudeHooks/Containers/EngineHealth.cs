using ClaudeHooks.Config;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ClaudeHooks.Containers;

/// <summary>What the engine has of what the config needs: socket, images, networks, agent containers.</summary>
internal sealed class EngineHealth(DockerClient docker, AgentsConfig config)
{
    public async Task<EngineStatus> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await DockerConnection.EnsureReachableAsync(docker, cancellationToken);
        }
        catch (EngineUnavailableException e)
        {
            return new EngineStatus(false, false, config.Images.Default, false, [], [e.Message]);
        }

        var problems = new List<string>();
        var imageAvailable = true;
        var missingImages = new List<string>();
        foreach (var image in config.Agents.Select(a => a.Image).Distinct(StringComparer.Ordinal))
        {
            if (!await ImageExistsAsync(image, cancellationToken))
            {
                imageAvailable = false;
                missingImages.Add(image);
                problems.Add($"image {image} is missing; run 'claude-hooks images build'");
            }
        }

        var info = await docker.System.GetSystemInfoAsync(cancellationToken);

        var networks = await docker.Networks.ListNetworksAsync(new NetworksListParameters(), cancellationToken);
        var networkNames = networks.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var networkExists = true;
        foreach (var spec in config.Agents.Where(a => a.Container.HasNetwork).Select(a => a.Container.Network == ContainerSettings.AgentNetwork ? ResourceNames.Network(config.ContainerPrefix, a.Name) : a.Container.Network!))
        {
            if (!networkNames.Contains(spec))
            {
                networkExists = false;
                problems.Add($"network {spec} is missing; run 'claude-hooks containers up'");
            }
        }

        var containers = await docker.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = ResourceNames.Filter(config.ContainerPrefix) }, cancellationToken);
        var agents = new List<AgentStatus>();
        foreach (var agent in config.Agents)
        {
            bool Mine(ContainerListResponse c) => c.Labels is not null && c.Labels.TryGetValue(ResourceNames.AgentLabel, out var name) && name == agent.Name;
            var container = containers.FirstOrDefault(c => Mine(c) && !ResourceNames.IsSandbox(c.Labels));
            var sandboxes = containers.Where(c => Mine(c) && ResourceNames.IsSandbox(c.Labels) && c.State == "running").ToList();
            var warm = sandboxes.Count(c => c.Names.Any(n => n.Contains("-warm-", StringComparison.Ordinal)));
            string? health = null;
            DateTime? startedAt = null;
            if (container is not null)
            {
                var inspect = await docker.Containers.InspectContainerAsync(container.ID, cancellationToken);
                health = inspect.State!.Health?.Status;
                startedAt = inspect.State!.Running && DateTime.TryParse(inspect.State!.StartedAt, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal, out var started) ? started : null;
            }
            else
            {
                problems.Add($"agent {agent.Name} has no container; run 'claude-hooks containers up'");
            }

            agents.Add(new AgentStatus(
                agent.Name,
                agent.Role.ToString().ToLowerInvariant(),
                ResourceNames.Container(config.ContainerPrefix, agent.Name),
                container?.State ?? "missing",
                health ?? (container is null ? "-" : "none"),
                container?.Image ?? agent.Image,
                startedAt,
                sandboxes.Count - warm,
                warm));
        }

        return new EngineStatus(true, imageAvailable, config.Images.Default, networkExists, agents, problems)
        {
            MissingImages = missingImages,
            Runtimes = [.. info.Runtimes?.Keys ?? []],
        };
    }

    private async Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Images.InspectImageAsync(image, cancellationToken);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
    }
}

internal sealed record EngineStatus(
    bool SocketConnected,
    bool ImageAvailable,
    string ImageName,
    bool NetworkExists,
    IReadOnlyList<AgentStatus> Agents,
    IReadOnlyList<string> Problems)
{
    /// <summary>The agents' images the engine does not have.</summary>
    public IReadOnlyList<string> MissingImages { get; init; } = [];

    /// <summary>The container runtimes registered with the engine; null when it was not asked.</summary>
    public IReadOnlyList<string>? Runtimes { get; init; }
}

/// <summary>An agent's long-lived container, and how many task sandboxes (running a task, or warm) it has now.</summary>
internal sealed record AgentStatus(string Name, string Role, string Container, string State, string Health, string Image, DateTime? StartedAt, int TaskSandboxes, int WarmSandboxes);
