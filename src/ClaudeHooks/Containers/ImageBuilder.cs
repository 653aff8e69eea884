using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ClaudeHooks.Containers;

/// <summary>
/// Builds agent images through the Engine API. The context is the Dockerfile's folder plus
/// <c>extra-ca/extra-ca.crt</c> (the operator's CA bundle, or an empty file), used only by download stages, and for
/// the dotnet stack a .NET SDK staged under <c>dotnet-sdk/</c>. The context is written to a temporary file and
/// streamed from there, so a large one (an SDK is about 700 MB) is never held in memory.
/// </summary>
internal sealed class ImageBuilder(DockerClient docker)
{
    public const string ExtraCaEntry = "extra-ca/extra-ca.crt";

    /// <summary>The context folder the dotnet stack's Dockerfile copies the SDK from.</summary>
    public const string DotnetSdkEntry = "dotnet-sdk";

    public static string DefaultContextDirectory => FindContext(Path.Combine("docker", "agent", Stacks.Base));

    /// <summary>The folder of a stack's Dockerfile (<c>docker/agent/&lt;stack&gt;</c>).</summary>
    public static string StackContextDirectory(string stack) => FindContext(Path.Combine("docker", "agent", stack));

    /// <summary>Builds <paramref name="contextDirectory"/> as <paramref name="tag"/> with the CA bundle at <paramref name="caBundle"/> (a file, a folder or none).</summary>
    public Task<BuiltImage> BuildAsync(string contextDirectory, string tag, string? caBundle, Action<string> output, CancellationToken cancellationToken) =>
        BuildAsync(new ImageBuildRequest(contextDirectory, tag) { CaBundle = ReadCaBundle(caBundle) }, output, cancellationToken);

    public async Task<BuiltImage> BuildAsync(ImageBuildRequest request, Action<string> output, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(request.ContextDirectory, "Dockerfile")))
        {
            throw new ContainerOperationException($"{request.ContextDirectory}: no Dockerfile here; pass --context with the folder holding docker/agent/base/Dockerfile");
        }

        var started = Stopwatch.GetTimestamp();
        await using var context = new FileStream(
            Path.Combine(Path.GetTempPath(), $"claude-hooks-context-{Guid.NewGuid():N}.tar"),
            FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await WriteContextAsync(context, request, cancellationToken);
        context.Position = 0;

        string? error = null;
        string? builtId = null;
        var progress = new InlineProgress<JSONMessage>(message =>
        {
            if (message.Error is not null)
            {
                error = message.Error.Message ?? $"code {message.Error.Code}";
            }
            else if (message.Aux is not null && BuiltImageId(message.Aux) is { } id)
            {
                builtId = id;
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
                Tags = [request.Tag],
                Remove = true,
                ForceRemove = true,
                NoCache = request.NoCache,
                BuildArgs = request.BuildArgs.ToDictionary(StringComparer.Ordinal),
                Labels = new Dictionary<string, string> { [ResourceNames.ManagedLabel] = "true" },
            },
            context,
            authConfigs: null,
            headers: null,
            progress,
            cancellationToken);

        if (error is not null)
        {
            throw new ContainerOperationException($"image build of {request.Tag} failed: {error.Trim()}");
        }

        // A rebuild that stopped short leaves the tag on the image before it: only the image the engine says it
        // built counts.
        if (builtId is null)
        {
            throw new ContainerOperationException($"image build of {request.Tag} ended without the engine reporting a built image; see the build output above, and run it again");
        }

        try
        {
            var image = await docker.Images.InspectImageAsync(request.Tag, cancellationToken);
            if (!string.Equals(image.ID, builtId, StringComparison.Ordinal))
            {
                throw new ContainerOperationException($"image build of {request.Tag} made {builtId}, but the tag names {image.ID}; another build may have tagged it meanwhile, so run it again");
            }

            return new BuiltImage(request.Tag, image.ID, image.Size, Stopwatch.GetElapsedTime(started));
        }
        catch (DockerImageNotFoundException)
        {
            throw new ContainerOperationException($"image build finished without producing {request.Tag}; see the build output above");
        }
    }

    /// <summary>The image id in a build's <c>aux</c> message (<c>{"ID": "sha256:…"}</c>), which the engine sends once the image is written.</summary>
    private static string? BuiltImageId(object aux)
    {
        var element = aux is System.Text.Json.JsonElement json ? json : System.Text.Json.JsonSerializer.SerializeToElement(aux, aux.GetType());
        return element.ValueKind == System.Text.Json.JsonValueKind.Object && element.TryGetProperty("ID", out var id) && id.ValueKind == System.Text.Json.JsonValueKind.String
            ? id.GetString()
            : null;
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

            // Only the certificates themselves go on, re-encoded: no comment or other text of the file reaches an image
            // build or the folder every sandbox mounts.
            var certificates = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            try
            {
                certificates.ImportFromPem(text);
            }
            catch (System.Security.Cryptography.CryptographicException e)
            {
                throw new ContainerOperationException($"{file}: a certificate in it cannot be read ({e.Message}); pass PEM-encoded CA certificates only");
            }

            foreach (var certificate in certificates)
            {
                bundle.Write(System.Text.Encoding.ASCII.GetBytes(certificate.ExportCertificatePem() + "\n"));
                certificate.Dispose();
            }
        }

        return bundle.ToArray();
    }

    /// <summary>
    /// The root of the host's own .NET SDK: the folder holding the <c>dotnet</c> whose SDKs <c>dotnet --list-sdks</c>
    /// reports, with symbolic links resolved.
    /// </summary>
    public static async Task<string> HostDotnetRootAsync(CancellationToken cancellationToken)
    {
        const string Fix = "pass --dotnet-sdk with an extracted .NET SDK folder or a dotnet-sdk-*.tar.gz";
        string listing;
        try
        {
            using var process = Process.Start(new ProcessStartInfo("dotnet", "--list-sdks") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
            var reading = process.StandardOutput.ReadToEndAsync(cancellationToken);
            _ = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            listing = await reading;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new ContainerOperationException($"no dotnet on PATH to take the host's .NET SDK from; {Fix}");
        }

        // "10.0.401 [/usr/share/dotnet/sdk]": the newest SDK is listed last.
        var line = listing.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.EndsWith(']'));
        var open = line?.IndexOf('[', StringComparison.Ordinal) ?? -1;
        if (line is null || open < 0)
        {
            throw new ContainerOperationException($"'dotnet --list-sdks' lists no SDK on this host; {Fix}");
        }

        var root = Path.GetDirectoryName(ResolveLinks(line[(open + 1)..^1]))!;
        CheckSdkRoot(root);
        return root;
    }

    /// <summary>A path with every symbolic link in it resolved (like realpath).</summary>
    public static string ResolveLinks(string path)
    {
        var parts = new LinkedList<string>(Path.GetFullPath(path).Split('/', StringSplitOptions.RemoveEmptyEntries));
        var resolved = "/";
        var hops = 0;
        while (parts.First is { } first)
        {
            parts.RemoveFirst();
            var part = first.Value;
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                resolved = Path.GetDirectoryName(resolved) ?? "/";
                continue;
            }

            var next = Path.Combine(resolved, part);
            if (new FileInfo(next).LinkTarget is not { } target)
            {
                resolved = next;
                continue;
            }

            if (++hops > 40)
            {
                throw new ContainerOperationException($"{path}: too many levels of symbolic links");
            }

            // The link's target replaces it, relative to the folder holding it unless absolute.
            if (target.StartsWith('/'))
            {
                resolved = "/";
            }

            foreach (var piece in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                parts.AddFirst(piece);
            }
        }

        return resolved;
    }

    private static void CheckSdkRoot(string root)
    {
        if (!File.Exists(Path.Combine(root, "dotnet")) || !Directory.Exists(Path.Combine(root, "sdk")))
        {
            throw new ContainerOperationException($"{root}: no .NET SDK here (a dotnet executable and an sdk folder at its root); pass the SDK's root folder or a dotnet-sdk-*.tar.gz with --dotnet-sdk");
        }
    }

    /// <summary>Writes the build context of <paramref name="request"/> to <paramref name="destination"/> as a tar stream.</summary>
    internal static async Task WriteContextAsync(Stream destination, ImageBuildRequest request, CancellationToken cancellationToken)
    {
        await using var tar = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var file in Directory.EnumerateFiles(request.ContextDirectory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetRelativePath(request.ContextDirectory, file).Replace('\\', '/');
            if (name.StartsWith("extra-ca/", StringComparison.Ordinal) || (request.DotnetSdk is not null && name.StartsWith(DotnetSdkEntry + "/", StringComparison.Ordinal)))
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

        var ca = new PaxTarEntry(TarEntryType.RegularFile, ExtraCaEntry) { Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream(request.CaBundle) };
        await tar.WriteEntryAsync(ca, cancellationToken);

        if (request.DotnetSdk is { } sdk)
        {
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, DotnetSdkEntry + "/") { Mode = (UnixFileMode)0b111_101_101 }, cancellationToken);
            if (Directory.Exists(sdk))
            {
                CheckSdkRoot(sdk);
                await WriteTreeAsync(tar, sdk, DotnetSdkEntry, cancellationToken);
            }
            else if (File.Exists(sdk))
            {
                await WriteTarballAsync(tar, sdk, DotnetSdkEntry, cancellationToken);
            }
            else
            {
                throw new ContainerOperationException($"{sdk}: not found; pass an extracted .NET SDK folder or a dotnet-sdk-*.tar.gz with --dotnet-sdk");
            }
        }
    }

    /// <summary>A folder's files, folders and symbolic links (kept as links, never followed) under <paramref name="prefix"/>.</summary>
    private static async Task WriteTreeAsync(TarWriter tar, string directory, string prefix, CancellationToken cancellationToken)
    {
        foreach (var path in Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal))
        {
            var name = $"{prefix}/{Path.GetFileName(path)}";
            var info = new FileInfo(path);
            var isLink = info.LinkTarget is not null;
            if (!isLink && Directory.Exists(path))
            {
                await tar.WriteEntryAsync(path, name + "/", cancellationToken);
                await WriteTreeAsync(tar, path, name, cancellationToken);
            }
            else
            {
                await tar.WriteEntryAsync(path, name, cancellationToken);
            }
        }
    }

    /// <summary>A gzipped tarball's entries (an SDK release: <c>./dotnet</c>, <c>./sdk/…</c>) under <paramref name="prefix"/>.</summary>
    private static async Task WriteTarballAsync(TarWriter tar, string tarball, string prefix, CancellationToken cancellationToken)
    {
        var (sawDotnet, sawSdk) = (false, false);
        try
        {
            await using var file = File.OpenRead(tarball);
            await using var gzip = new GZipStream(file, CompressionMode.Decompress);
            await using var reader = new TarReader(gzip);
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name.TrimStart('/');
                if (name.Length == 0 || name == "." || name.Split('/').Contains(".."))
                {
                    continue;
                }

                sawDotnet |= name == "dotnet" && entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile;
                sawSdk |= name.StartsWith("sdk/", StringComparison.Ordinal);
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.Directory or TarEntryType.SymbolicLink or TarEntryType.HardLink))
                {
                    continue;
                }

                var copy = new PaxTarEntry(entry.EntryType == TarEntryType.V7RegularFile ? TarEntryType.RegularFile : entry.EntryType, $"{prefix}/{name}")
                {
                    Mode = entry.Mode,
                    ModificationTime = entry.ModificationTime,
                };
                if (copy.EntryType == TarEntryType.RegularFile)
                {
                    copy.DataStream = entry.DataStream;
                }
                else if (entry.EntryType == TarEntryType.SymbolicLink)
                {
                    copy.LinkName = entry.LinkName;
                }
                else if (entry.EntryType == TarEntryType.HardLink)
                {
                    copy.LinkName = $"{prefix}/{(entry.LinkName.StartsWith("./", StringComparison.Ordinal) ? entry.LinkName[2..] : entry.LinkName)}";
                }

                await tar.WriteEntryAsync(copy, cancellationToken);
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException)
        {
            throw new ContainerOperationException($"{tarball}: not a gzipped tarball ({e.Message}); pass an extracted .NET SDK folder or a dotnet-sdk-*.tar.gz with --dotnet-sdk");
        }

        if (!sawDotnet || !sawSdk)
        {
            throw new ContainerOperationException($"{tarball}: no .NET SDK in it (a dotnet executable and an sdk folder at its root); pass a dotnet-sdk-*.tar.gz as Microsoft publishes it, or an extracted SDK folder");
        }
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

/// <summary>
/// One image to build: the Dockerfile's folder and tag, the CA bundle's bytes (empty for none), build args, whether
/// to ignore the layer cache, and for the dotnet stack the SDK to stage (a folder or a .tar.gz).
/// </summary>
internal sealed record ImageBuildRequest(string ContextDirectory, string Tag)
{
    public byte[] CaBundle { get; init; } = [];

    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    public bool NoCache { get; init; }

    public string? DotnetSdk { get; init; }
}

/// <summary>A built image: its tag, id and size as the engine reports them, and how long the build took (context included).</summary>
internal sealed record BuiltImage(string Tag, string Id, long SizeBytes, TimeSpan Elapsed);
