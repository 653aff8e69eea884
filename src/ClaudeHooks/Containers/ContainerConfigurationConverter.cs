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
            Hostname = spec.Kind == ContainerKind.Sandbox ? "sandbox" : spec.Agent,
            User = spec.User,
            Env = [.. spec.Environment],
            Labels = labels,
            ExposedPorts = new Dictionary<string, EmptyStruct>(),

            // A sandbox is ready when it runs; the image's probe checks what only the agent's own container has.
            Healthcheck = spec.Kind == ContainerKind.Sandbox ? new HealthcheckConfig { Test = ["NONE"] } : null,
            HostConfig = new HostConfig
            {
                Mounts = [.. spec.Mounts.Select(m => ToMount(spec, m))],
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
                RestartPolicy = new RestartPolicy { Name = spec.Kind == ContainerKind.Sandbox ? RestartPolicyKind.No : RestartPolicyKind.UnlessStopped },
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

    /// <summary>An anonymous volume carries the container's labels, so one left by a crash is found and removed by label.</summary>
    private static Mount ToMount(ContainerSpec spec, MountSpec mount) => new()
    {
        Type = mount.Kind == MountKind.Bind ? "bind" : "volume",
        Source = mount.Kind == MountKind.Anonymous ? null : mount.Source,
        Target = mount.Target,
        ReadOnly = mount.ReadOnly,
        VolumeOptions = mount.Kind == MountKind.Anonymous ? new VolumeOptions { Labels = new Dictionary<string, string>(spec.Labels) } : null,
    };
}
