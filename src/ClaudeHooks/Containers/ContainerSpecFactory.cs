using System.Globalization;
using ClaudeHooks.Config;

namespace ClaudeHooks.Containers;

/// <summary>Turns one agent's validated config into its container specs. Secrets never enter a spec.</summary>
internal static class ContainerSpecFactory
{
    public const string CredentialsFileName = ".credentials.json";

    /// <summary>Tells a sandbox's entrypoint to keep the gateway's forwarder running on this loopback port.</summary>
    public const string ForwarderVariable = "CLAUDE_HOOKS_FORWARDER_PORT";

    /// <summary>
    /// The agent's long-lived container: the state volume (the repository cache) writable by the maintenance user,
    /// which is also the container's user. It runs nothing but its init; the service's own git runs there.
    /// </summary>
    public static ContainerSpec Create(AgentsConfig config, AgentConfig agent)
    {
        var prefix = config.ContainerPrefix;
        var mounts = new List<MountSpec>
        {
            new(MountKind.Volume, ResourceNames.StateVolume(prefix, agent.Name), ResourceNames.StateMount, ReadOnly: false),
            new(MountKind.Volume, ResourceNames.HomeVolume(prefix, agent.Name), ResourceNames.HomeMount, ReadOnly: false),
            new(MountKind.Bind, Gateway.HostGateway.AgentFolder(config.GatewayRoot, agent.Name), Gateway.HostGateway.ContainerDirectory, ReadOnly: true),
        };
        var labels = ResourceNames.Labels(prefix, agent.Name);
        labels[ResourceNames.RoleLabel] = agent.Role.ToString().ToLowerInvariant();
        return Build(ContainerKind.Agent, agent, agent.Image, agent.Container, ResourceNames.Container(prefix, agent.Name), ResourceNames.MaintenanceUser, labels, mounts,
            [$"HOME={ResourceNames.HomeMount}"], new Dictionary<string, string>(), config);
    }

    /// <summary>
    /// One task sandbox of the agent: the agent's image, user, limits and runtime, no network; the repository cache
    /// read-only; its gateway socket's folder (<paramref name="socketId"/>) read-only, with a forwarder on loopback;
    /// a fresh home and <c>/tmp</c> in memory and a checkout volume of its own, all gone with it. No credential.
    /// </summary>
    /// <remarks>
    /// <paramref name="profile"/> is the task's: its image from the chain and its runtime and limits; without one the
    /// sandbox is the agent's own (a warm one). When sandboxes trust extra CA certificates their folder is mounted
    /// read-only and the usual TLS clients are pointed at it.
    /// </remarks>
    public static ContainerSpec CreateSandbox(AgentsConfig config, AgentConfig agent, string name, IReadOnlyDictionary<string, string> extraLabels, string socketId, Agents.TaskProfile? profile = null)
    {
        var prefix = config.ContainerPrefix;
        var settings = profile?.Container ?? agent.Container;
        var mounts = new List<MountSpec>
        {
            new(MountKind.Volume, ResourceNames.StateVolume(prefix, agent.Name), ResourceNames.StateMount, ReadOnly: true),
            new(MountKind.Anonymous, "", ResourceNames.WorkRoot, ReadOnly: false),
            new(MountKind.Bind, Gateway.HostGateway.SandboxFolder(config.GatewayRoot, socketId), Gateway.HostGateway.ContainerDirectory, ReadOnly: true),
        };
        List<string> environment = [$"HOME={ResourceNames.HomeMount}", $"CLAUDE_CONFIG_DIR={ResourceNames.SandboxClaudeConfigDir}", $"{ForwarderVariable}={Gateway.HostGateway.Port}"];
        if (config.SandboxCaFolder.Length > 0 && SandboxTrust.Enabled(config))
        {
            mounts.Add(new(MountKind.Bind, config.SandboxCaFolder, SandboxTrust.ContainerDirectory, ReadOnly: true));
            environment.AddRange(SandboxTrust.Environment);
        }

        var labels = ResourceNames.Labels(prefix, agent.Name);
        labels[ResourceNames.RoleLabel] = agent.Role.ToString().ToLowerInvariant();
        labels[ResourceNames.KindLabel] = ResourceNames.SandboxKind;
        labels[ResourceNames.GatewayLabel] = socketId;
        foreach (var (key, value) in extraLabels)
        {
            labels[key] = value;
        }

        var owner = settings.User == "claude" ? $",uid={ResourceNames.AgentUid},gid={ResourceNames.AgentUid},mode=0700"
            : int.TryParse(settings.User.Split(':')[0], CultureInfo.InvariantCulture, out var uid) ? $",uid={uid},mode=0700" : "";
        var tmpfs = new Dictionary<string, string>
        {
            // exec: tools an agent installs for itself (pip --user, npm prefix) run from ~; it is gone with the sandbox.
            [ResourceNames.HomeMount] = string.Create(CultureInfo.InvariantCulture, $"rw,exec,nosuid,nodev,size={settings.TmpSizeBytes}{owner}"),
        };
        return Build(ContainerKind.Sandbox, agent, profile?.Image ?? agent.Image, settings, name, settings.User, labels, mounts, environment, tmpfs, config);
    }

    private static ContainerSpec Build(
        ContainerKind kind, AgentConfig agent, string image, ContainerSettings settings, string name, string user, Dictionary<string, string> labels, List<MountSpec> mounts,
        IReadOnlyList<string> environment, Dictionary<string, string> tmpfs, AgentsConfig config)
    {
        var prefix = config.ContainerPrefix;

        var securityOptions = new List<string>();
        if (settings.NoNewPrivileges)
        {
            securityOptions.Add("no-new-privileges:true");
        }

        if (settings.Seccomp == "unconfined")
        {
            securityOptions.Add("seccomp=unconfined");
        }

        tmpfs["/tmp"] = string.Create(CultureInfo.InvariantCulture, $"rw,noexec,nosuid,nodev,size={settings.TmpSizeBytes}");
        return new ContainerSpec(
            Kind: kind,
            Agent: agent.Name,
            Name: name,
            Image: image,
            User: user,
            Labels: labels,
            Environment: environment,
            Mounts: mounts,
            MemoryBytes: settings.MemoryBytes,
            MemorySwapBytes: settings.MemorySwapBytes,
            NanoCpus: (long)Math.Round(settings.Cpus * 1_000_000_000),
            PidsLimit: settings.PidsLimit,
            Runtime: settings.Runtime,
            Network: settings.Network switch
            {
                null => "none",
                ContainerSettings.AgentNetwork => ResourceNames.Network(prefix, agent.Name),
                var named => named,
            },
            OwnNetwork: settings.Network == ContainerSettings.AgentNetwork,
            DropAllCapabilities: settings.DropAllCapabilities,
            CapAdd: settings.CapAdd,
            SecurityOptions: securityOptions,
            ReadOnlyRootfs: settings.ReadOnlyRootfs,
            Tmpfs: tmpfs);
    }
}
