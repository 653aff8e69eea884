using System.Formats.Tar;
using System.Text;
using ClaudeHooks.Containers;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ClaudeHooks.IntegrationTests.Repositories;

/// <summary>
/// Tiny images made FROM the base for one test run, each with a marker file naming it, so a command in a sandbox can
/// tell which image it runs in. Built through the Engine API from an in-memory context (nothing is downloaded).
/// </summary>
internal static class MarkerImages
{
    public const string MarkerFile = "/etc/claude-hooks-marker";

    /// <summary>A scripted command that prints the sandbox's marker, or says there is none.</summary>
    public const string ReadMarker = "cat /etc/claude-hooks-marker 2>&1; echo \" marker=$?\"";

    public static string Marker(string name) => $"image-{name}";

    public static async Task BuildAsync(DockerClient docker, string tag, string name, CancellationToken cancellationToken)
    {
        using var context = new MemoryStream();
        using (var tar = new TarWriter(context, TarEntryFormat.Ustar, leaveOpen: true))
        {
            void Add(string path, string content) => tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, path)
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            });

            Add("Dockerfile", $"""
                FROM {Stacks.BaseImage}
                LABEL org.claude-hooks.image="test-{name}"
                COPY marker {MarkerFile}
                """);
            Add("marker", Marker(name) + "\n");
        }

        context.Position = 0;
        string? error = null;
        await docker.Images.BuildImageFromDockerfileAsync(
            new ImageBuildParameters { Dockerfile = "Dockerfile", Tags = [tag], Remove = true, ForceRemove = true },
            context,
            authConfigs: null,
            headers: null,
            new Collector(message => error ??= message.Error?.Message),
            cancellationToken);
        Assert.True(error is null, $"building {tag} failed: {error}");
        await docker.Images.InspectImageAsync(tag, cancellationToken);
    }

    public static async Task RemoveAsync(DockerClient docker, string tag)
    {
        try
        {
            await docker.Images.DeleteImageAsync(tag, new ImageDeleteParameters { Force = true }, CancellationToken.None);
        }
        catch (DockerImageNotFoundException)
        {
            // Never built, or already gone.
        }
    }

    private sealed class Collector(Action<JSONMessage> report) : IProgress<JSONMessage>
    {
        public void Report(JSONMessage value) => report(value);
    }
}
