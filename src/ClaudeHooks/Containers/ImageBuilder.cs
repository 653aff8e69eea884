using System.Formats.Tar;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ClaudeHooks.Containers;

/// <summary>
/// Builds the agent image through the Engine API. The context is the Dockerfile's folder plus
/// <c>extra-ca/extra-ca.crt</c>: the operator's CA bundle (or an empty file), used only by the download stage.
/// </summary>
internal sealed class ImageBuilder(DockerClient docker)
{
    public const string ExtraCaEntry = "extra-ca/extra-ca.crt";

    public static string DefaultContextDirectory => FindContext(Path.Combine("docker", "agent", "base"));

    public async Task BuildAsync(string contextDirectory, string tag, string? caBundle, Action<string> output, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(contextDirectory, "Dockerfile")))
        {
            throw new ContainerOperationException($"{contextDirectory}: no Dockerfile here; pass --context with the folder holding docker/agent/base/Dockerfile");
        }

        using var context = new MemoryStream();
        await WriteContextAsync(context, contextDirectory, ReadCaBundle(caBundle), cancellationToken);
        context.Position = 0;

        string? error = null;
        var progress = new Progress<JSONMessage>(message =>
        {
            if (message.Error is not null)
            {
                error = message.Error.Message ?? $"code {message.Error.Code}";
            }
            else if (!string.IsNullOrWhiteSpace(message.Stream))
            {
                output(message.Stream.TrimEnd('\n'));
            }
        });

        await docker.Images.BuildImageFromDockerfileAsync(
            new ImageBuildParameters
            {
                Dockerfile = "Dockerfile",
                Tags = [tag],
                Remove = true,
                ForceRemove = true,
                Labels = new Dictionary<string, string> { [ResourceNames.ManagedLabel] = "true" },
            },
            context,
            authConfigs: null,
            headers: null,
            progress,
            cancellationToken);

        // Progress callbacks are posted; give the last ones a moment to land before judging the result.
        await Task.Delay(100, cancellationToken);
        if (error is not null)
        {
            throw new ContainerOperationException($"image build failed: {error.Trim()}");
        }

        try
        {
            await docker.Images.InspectImageAsync(tag, cancellationToken);
        }
        catch (DockerImageNotFoundException)
        {
            throw new ContainerOperationException($"image build finished without producing {tag}; see the build output above");
        }
    }

    /// <summary>A bundle is a PEM file, or a folder whose *.crt and *.pem files are joined (like /usr/local/share/ca-certificates).</summary>
    public static byte[] ReadCaBundle(string? path)
    {
        if (path is null)
        {
            return [];
        }

        IEnumerable<string> files = Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(f => f.EndsWith(".crt", StringComparison.Ordinal) || f.EndsWith(".pem", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            : File.Exists(path) ? [path] : throw new ContainerOperationException($"{path}: CA bundle not found; pass an existing PEM file or folder with --ca-bundle (or images.extra_ca_bundle)");

        using var bundle = new MemoryStream();
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            if (!text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            {
                throw new ContainerOperationException($"{file}: not a PEM certificate (no BEGIN CERTIFICATE block); pass PEM-encoded CA certificates only");
            }

            if (text.Contains("PRIVATE KEY", StringComparison.Ordinal))
            {
                throw new ContainerOperationException($"{file}: holds a private key; a CA bundle must contain certificates only");
            }

            bundle.Write(System.Text.Encoding.UTF8.GetBytes(text.TrimEnd() + "\n"));
        }

        return bundle.ToArray();
    }

    private static async Task WriteContextAsync(Stream destination, string directory, byte[] caBundle, CancellationToken cancellationToken)
    {
        await using var tar = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetRelativePath(directory, file).Replace('\\', '/');
            if (name.StartsWith("extra-ca/", StringComparison.Ordinal))
            {
                continue;
            }

            var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
            {
                Mode = File.GetUnixFileMode(file),
                DataStream = File.OpenRead(file),
            };
            await tar.WriteEntryAsync(entry, cancellationToken);
            await entry.DataStream.DisposeAsync();
        }

        var ca = new PaxTarEntry(TarEntryType.RegularFile, ExtraCaEntry) { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream(caBundle) };
        await tar.WriteEntryAsync(ca, cancellationToken);
    }

    private static string FindContext(string relative)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, relative);
                if (File.Exists(Path.Combine(candidate, "Dockerfile")))
                {
                    return candidate;
                }
            }
        }

        return Path.GetFullPath(relative);
    }
}
