using System.Globalization;
using ClaudeHooks.Config;

namespace ClaudeHooks.Containers;

/// <summary>Turns one agent's validated config into its container specs. Secrets never enter a spec.</summary>
internal static class ContainerSpecFactory
{
    public const string CredentialsFileName = ".credentials.json";

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
        };
        var labels = ResourceNames.Labels(prefix, agent.Name);
        labels[ResourceNames.RoleLabel] = agent.Role.ToString().ToLowerInvariant();
        return Build(ContainerKind.Agent, agent, ResourceNames.Container(prefix, agent.Name), ResourceNames.MaintenanceUser, labels, mounts,
            [$"HOME={ResourceNames.HomeMount}"], new Dictionary<string, string>(), config);
    }

    /// <summary>
    /// One task sandbox of the agent: the agent's image, user, limits, runtime and network; the repository cache
    /// read-only; a fresh home and <c>/tmp</c> in memory and a checkout volume of its own, all gone with it.
    /// </summary>
    public static ContainerSpec CreateSandbox(AgentsConfig config, AgentConfig agent, string name, IReadOnlyDictionary<string, string> extraLabels)
    {
        var prefix = config.ContainerPrefix;
        var settings = agent.Container;
        var mounts = new List<MountSpec>
        {
            new(MountKind.Volume, ResourceNames.StateVolume(prefix, agent.Name), ResourceNames.StateMount, ReadOnly: true),
            new(MountKind.Anonymous, "", ResourceNames.WorkRoot, ReadOnly: false),
        };
        if (agent.ClaudeAuth.Kind == ClaudeAuthKind.CredentialsDirectory)
        {
            CheckCredentialsDirectory(config, agent);
            mounts.Add(new MountSpec(MountKind.Bind, agent.ClaudeAuth.Path, ResourceNames.CredentialsMount, ReadOnly: true));
        }

        var labels = ResourceNames.Labels(prefix, agent.Name);
        labels[ResourceNames.RoleLabel] = agent.Role.ToString().ToLowerInvariant();
        labels[ResourceNames.KindLabel] = ResourceNames.SandboxKind;
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
        return Build(ContainerKind.Sandbox, agent, name, settings.User, labels, mounts,
            [$"HOME={ResourceNames.HomeMount}", $"CLAUDE_CONFIG_DIR={ResourceNames.SandboxClaudeConfigDir}"], tmpfs, config);
    }

    private static ContainerSpec Build(
        ContainerKind kind, AgentConfig agent, string name, string user, Dictionary<string, string> labels, List<MountSpec> mounts,
        IReadOnlyList<string> environment, Dictionary<string, string> tmpfs, AgentsConfig config)
    {
        var prefix = config.ContainerPrefix;
        var settings = agent.Container;

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
            Image: agent.Image,
            User: user,
            Labels: labels,
            Environment: environment,
            Mounts: mounts,
            MemoryBytes: settings.MemoryBytes,
            MemorySwapBytes: settings.MemorySwapBytes,
            NanoCpus: (long)Math.Round(settings.Cpus * 1_000_000_000),
            PidsLimit: settings.PidsLimit,
            Runtime: settings.Runtime,
            Network: settings.Network ?? ResourceNames.Network(prefix, agent.Name),
            OwnNetwork: settings.Network is null,
            DropAllCapabilities: settings.DropAllCapabilities,
            CapAdd: settings.CapAdd,
            SecurityOptions: securityOptions,
            ReadOnlyRootfs: settings.ReadOnlyRootfs,
            Tmpfs: tmpfs);
    }

    /// <summary>
    /// The credentials directory is mounted whole (a file mount pins one inode, so a refreshed file would never
    /// be seen); it must therefore hold nothing but <c>.credentials.json</c>.
    /// </summary>
    private static void CheckCredentialsDirectory(AgentsConfig config, AgentConfig agent)
    {
        var auth = agent.ClaudeAuth;
        var key = $"{config.FilePath}: agents.{agent.Name}.claude_auth.{auth.ConfigKey}";
        if (!Directory.Exists(auth.Path))
        {
            throw new ConfigException([$"{key}: directory {auth.Path} does not exist; create it and put the agent's {CredentialsFileName} in it"]);
        }

        var entries = Directory.EnumerateFileSystemEntries(auth.Path).Select(Path.GetFileName).ToList();
        var extra = entries.Where(e => e != CredentialsFileName).ToList();
        if (extra.Count > 0)
        {
            throw new ConfigException([$"{key}: {auth.Path} holds {string.Join(", ", extra)} besides {CredentialsFileName}; the whole directory is mounted into the container, so move everything else out"]);
        }

        if (entries.Count == 0)
        {
            throw new ConfigException([$"{key}: {auth.Path} has no {CredentialsFileName}; copy the agent's credentials file there"]);
        }
    }
}
