using Docker.DotNet;
using Docker.DotNet.Models;

namespace ClaudeHooks.Containers;

/// <summary>
/// Compares what a derived image must keep from its base: the Claude Code CLI, the entrypoint and health probe, the
/// managed policy, the git config and the agent's uid. Package install scripts run as root while a custom image is
/// built, so the Dockerfile alone cannot show that none of them replaced one of these files.
/// </summary>
internal static class ImageIntegrity
{
    public static readonly IReadOnlyList<string> ProtectedFiles =
    [
        "/usr/local/bin/claude", "/usr/local/bin/agent-entrypoint", "/usr/local/bin/agent-health",
        "/etc/claude-code/managed-settings.json", "/etc/gitconfig", "/usr/bin/tini",
    ];

    private const string Script = """
        for f in "$@"; do printf '%s ' "$f"; sha256sum "$f" 2>/dev/null | cut -d' ' -f1 || echo missing; done
        printf 'uid %s\n' "$(id -u claude 2>/dev/null || echo none)"
        ls -A /etc/claude-code | tr '\n' ' '; echo
        """;

    /// <summary>What differs between the two images in the protected files, as one message per difference; empty when nothing does.</summary>
    public static async Task<IReadOnlyList<string>> DifferencesAsync(DockerClient docker, string baseImage, string image, CancellationToken cancellationToken)
    {
        var before = await FactsAsync(docker, baseImage, cancellationToken);
        var after = await FactsAsync(docker, image, cancellationToken);
        var differences = new List<string>();
        foreach (var (line, index) in before.Select((l, i) => (l, i)))
        {
            var other = index < after.Count ? after[index] : "(nothing)";
            if (line != other)
            {
                differences.Add($"{image} changes what {baseImage} has ({line.Split(' ')[0]}: {Short(line)} → {Short(other)})");
            }
        }

        return differences;
    }

    private static string Short(string line)
    {
        var value = line.Contains(' ', StringComparison.Ordinal) ? line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..].Trim() : line;
        return value.Length > 16 ? value[..16] + "…" : value;
    }

    /// <summary>Runs the script in a throwaway container of the image: no network, read-only, as root only to read every file.</summary>
    private static async Task<List<string>> FactsAsync(DockerClient docker, string image, CancellationToken cancellationToken)
    {
        var created = await docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = image,
            User = "0",
            Entrypoint = ["sh", "-c", Script, "integrity", .. ProtectedFiles],
            Labels = new Dictionary<string, string> { [ResourceNames.ManagedLabel] = "true" },
            HostConfig = new HostConfig { NetworkMode = "none", ReadonlyRootfs = true, CapDrop = ["ALL"], CapAdd = ["DAC_READ_SEARCH"], SecurityOpt = ["no-new-privileges:true"] },
        }, cancellationToken);
        try
        {
            await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
            await docker.Containers.WaitContainerAsync(created.ID, cancellationToken);
            using var logs = await docker.Containers.GetContainerLogsAsync(created.ID, new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, cancellationToken);
            var (stdout, _) = await logs.ReadOutputToEndAsync(cancellationToken);
            return [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim())];
        }
        finally
        {
            await docker.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
        }
    }
}
