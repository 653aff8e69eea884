using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Docker.DotNet.Models;

namespace ClaudeHooks.Containers;

/// <summary>The one place a <see cref="ContainerSpec"/> becomes an Engine API create request.</summary>
internal static class ContainerConfigurationConverter
{
    public static CreateContainerParameters ToCreateParameters(ContainerSpec spec)
    {
        var labels = new Dictionary<string, string>(spec.Labels, StringComparer.Ordinal)
        {
            [ResourceNames.SpecHashLabel] = SpecHash(spec),
        };

        return new CreateContainerParameters
        {
            Name = spec.Name,
            Image = spec.Image,
            Hostname = spec.Agent,
            User = spec.User,
            Env = [.. spec.Environment],
            Labels = labels,
            ExposedPorts = new Dictionary<string, EmptyStruct>(),
            HostConfig = new HostConfig
            {
                Mounts = [.. spec.Mounts.Select(ToMount)],
                Memory = spec.MemoryBytes,
                MemorySwap = spec.MemorySwapBytes,
                NanoCPUs = spec.NanoCpus,
                PidsLimit = spec.PidsLimit,
                Runtime = spec.Runtime,
                NetworkMode = spec.Network,
                CapDrop = spec.DropAllCapabilities ? ["ALL"] : [],
                CapAdd = [.. spec.CapAdd],
                SecurityOpt = [.. spec.SecurityOptions],
                ReadonlyRootfs = spec.ReadOnlyRootfs,
                Tmpfs = new Dictionary<string, string>(spec.Tmpfs),
                Privileged = false,
                PublishAllPorts = false,
                PortBindings = new Dictionary<string, IList<PortBinding>>(),
                RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.UnlessStopped },
                PidMode = "",
                IpcMode = "private",
                UTSMode = "",
                UsernsMode = "",
            },
        };
    }

    /// <summary>A fingerprint of the spec, stored as a label so `up` can tell a container built from older config.</summary>
    public static string SpecHash(ContainerSpec spec)
    {
        var canonical = JsonSerializer.Serialize(spec with { Labels = new Dictionary<string, string>() });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16];
    }

    private static Mount ToMount(MountSpec mount) => new()
    {
        Type = mount.Kind == MountKind.Volume ? "volume" : "bind",
        Source = mount.Source,
        Target = mount.Target,
        ReadOnly = mount.ReadOnly,
    };
}
