using System.Globalization;
using ClaudeHooks.Config;

namespace ClaudeHooks.Containers;

/// <summary>Turns one agent's validated config into its container spec. Secrets never enter the spec.</summary>
internal static class ContainerSpecFactory
{
    public const string CredentialsFileName = ".credentials.json";

    public static ContainerSpec Create(AgentsConfig config, AgentConfig agent)
    {
        var prefix = config.ContainerPrefix;
        var settings = agent.Container;
        var mounts = new List<MountSpec>
        {
            new(MountKind.Volume, ResourceNames.StateVolume(prefix, agent.Name), ResourceNames.StateMount, ReadOnly: false),
            new(MountKind.Volume, ResourceNames.HomeVolume(prefix, agent.Name), ResourceNames.HomeMount, ReadOnly: false),
        };
        if (agent.ClaudeAuth.Kind == ClaudeAuthKind.CredentialsDirectory)
        {
            CheckCredentialsDirectory(config, agent);
            mounts.Add(new MountSpec(MountKind.Bind, agent.ClaudeAuth.Path, ResourceNames.CredentialsMount, ReadOnly: true));
        }

        var securityOptions = new List<string>();
        if (settings.NoNewPrivileges)
        {
            securityOptions.Add("no-new-privileges:true");
        }

        if (settings.Seccomp == "unconfined")
        {
            securityOptions.Add("seccomp=unconfined");
        }

        var labels = ResourceNames.Labels(prefix, agent.Name);
        labels[ResourceNames.RoleLabel] = agent.Role.ToString().ToLowerInvariant();

        return new ContainerSpec(
            Agent: agent.Name,
            Name: ResourceNames.Container(prefix, agent.Name),
            Image: agent.Image,
            User: settings.User,
            Labels: labels,
            Environment: [$"HOME={ResourceNames.HomeMount}", $"CLAUDE_CONFIG_DIR={ResourceNames.ClaudeConfigDir}"],
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
            Tmpfs: new Dictionary<string, string>
            {
                ["/tmp"] = string.Create(CultureInfo.InvariantCulture, $"rw,noexec,nosuid,nodev,size={settings.TmpSizeBytes}"),
            });
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
