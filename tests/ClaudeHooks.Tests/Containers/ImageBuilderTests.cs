using System.Formats.Tar;
using System.IO.Compression;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Tests.Containers;

/// <summary>The build context an image build sends (no engine needed), and the stacks' build order.</summary>
public sealed class ImageBuilderTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Context_WithAnSdkFolder_StagesItUnderDotnetSdk_KeepingModesAndLinks()
    {
        var context = Dockerfile();
        var sdk = FakeSdk();

        var entries = await EntriesAsync(new ImageBuildRequest(context, "t") { CaBundle = "pem"u8.ToArray(), DotnetSdk = sdk });

        Assert.Equal(TarEntryType.RegularFile, entries["Dockerfile"].Type);
        Assert.Equal("pem", entries[ImageBuilder.ExtraCaEntry].Text);
        Assert.Equal(TarEntryType.Directory, entries["dotnet-sdk/"].Type);
        Assert.Equal(TarEntryType.Directory, entries["dotnet-sdk/sdk/"].Type);
        Assert.True(entries["dotnet-sdk/dotnet"].Mode.HasFlag(UnixFileMode.UserExecute));
        Assert.Equal("muxer", entries["dotnet-sdk/dotnet"].Text);
        Assert.Equal("10.0.100", entries["dotnet-sdk/sdk/10.0.100/version.txt"].Text);
        Assert.Equal((TarEntryType.SymbolicLink, "10.0.100"), (entries["dotnet-sdk/sdk/current"].Type, entries["dotnet-sdk/sdk/current"].Link));
        Assert.DoesNotContain(entries.Keys, k => k.StartsWith("dotnet-sdk/sdk/current/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Context_WithAnSdkTarball_StagesItsEntriesUnderDotnetSdk()
    {
        var context = Dockerfile();
        var tarball = Path.Combine(_directory.Path, "dotnet-sdk-10.0.100-linux-x64.tar.gz");
        await using (var file = File.Create(tarball))
        await using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        await using (var tar = new TarWriter(gzip, TarEntryFormat.Gnu))
        {
            await tar.WriteEntryAsync(new GnuTarEntry(TarEntryType.Directory, "./"));
            await tar.WriteEntryAsync(new GnuTarEntry(TarEntryType.RegularFile, "./dotnet") { Mode = (UnixFileMode)0b111_101_101, DataStream = new MemoryStream("muxer"u8.ToArray()) });
            await tar.WriteEntryAsync(new GnuTarEntry(TarEntryType.Directory, "./sdk/"));
            await tar.WriteEntryAsync(new GnuTarEntry(TarEntryType.RegularFile, "./sdk/10.0.100/" + new string('n', 120) + ".dll") { DataStream = new MemoryStream("long"u8.ToArray()) });
        }

        var entries = await EntriesAsync(new ImageBuildRequest(context, "t") { DotnetSdk = tarball });

        Assert.Equal("muxer", entries["dotnet-sdk/dotnet"].Text);
        Assert.True(entries["dotnet-sdk/dotnet"].Mode.HasFlag(UnixFileMode.OtherExecute));
        Assert.Equal("long", entries["dotnet-sdk/sdk/10.0.100/" + new string('n', 120) + ".dll"].Text);
        Assert.Empty(entries[ImageBuilder.ExtraCaEntry].Text);
    }

    [Fact]
    public async Task Context_WithAFolderThatIsNoSdk_FailsNamingIt()
    {
        var context = Dockerfile();
        var empty = Directory.CreateDirectory(Path.Combine(_directory.Path, "empty")).FullName;

        var error = await Assert.ThrowsAsync<ContainerOperationException>(() => EntriesAsync(new ImageBuildRequest(context, "t") { DotnetSdk = empty }));

        Assert.Contains($"{empty}: no .NET SDK here", error.Message, StringComparison.Ordinal);
        Assert.Contains("--dotnet-sdk", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Context_WithATarballThatIsNoSdk_FailsNamingIt()
    {
        var context = Dockerfile();
        var notGzip = _directory.Write("sdk.tar.gz", "plain text");

        var error = await Assert.ThrowsAsync<ContainerOperationException>(() => EntriesAsync(new ImageBuildRequest(context, "t") { DotnetSdk = notGzip }));

        Assert.Contains($"{notGzip}: not a gzipped tarball", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Context_WithoutAnSdk_HasNoDotnetSdkFolder()
    {
        var entries = await EntriesAsync(new ImageBuildRequest(Dockerfile(), "t"));

        Assert.Equal(["Dockerfile", ImageBuilder.ExtraCaEntry], entries.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ResolveLinks_FollowsEveryLinkOnThePath()
    {
        var real = Directory.CreateDirectory(Path.Combine(_directory.Path, "opt", "dotnet", "sdk")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(_directory.Path, "lib"), "opt");
        Directory.CreateSymbolicLink(Path.Combine(_directory.Path, "opt", "current"), Path.Combine(_directory.Path, "lib", "dotnet"));

        Assert.Equal(real, ImageBuilder.ResolveLinks(Path.Combine(_directory.Path, "opt", "current", "sdk")));
        Assert.Equal(real, ImageBuilder.ResolveLinks(Path.Combine(_directory.Path, "lib", "current", "..", "dotnet", "sdk")));
    }

    [Fact]
    public void Stacks_AreBuiltAfterWhatTheyComeFrom()
    {
        Assert.Equal(["base", "node", "browser"], Stacks.Lineage("browser"));
        Assert.Equal(["base", "dotnet"], Stacks.Lineage("dotnet"));
        Assert.Equal(["base"], Stacks.Lineage("base"));
        Assert.All(Stacks.All.Where(s => s != Stacks.Base), s => Assert.True(Stacks.All.ToList().IndexOf(Stacks.Parent(s)!) < Stacks.All.ToList().IndexOf(s)));
        Assert.Equal("no stack named \"ruby\"; the stacks are base, node, python, dotnet, browser", Stacks.Unknown("ruby"));
    }

    [Theory]
    [InlineData("node")]
    [InlineData("python")]
    [InlineData("dotnet")]
    [InlineData("browser")]
    public void StackDockerfile_NamesItsParentAsBaseImage_AndItsLabels(string stack)
    {
        var text = File.ReadAllText(Path.Combine(ImageBuilder.StackContextDirectory(stack), "Dockerfile"));

        Assert.StartsWith("#", text, StringComparison.Ordinal);
        Assert.Contains($"ARG BASE_IMAGE={Stacks.Image(Stacks.Parent(stack)!)}\n", text, StringComparison.Ordinal);
        Assert.Contains("FROM ${BASE_IMAGE}\n", text, StringComparison.Ordinal);
        Assert.Contains($"org.claude-hooks.image=\"agent-{stack}\"", text, StringComparison.Ordinal);
        Assert.Contains($"org.claude-hooks.stack=\"{stack}\"", text, StringComparison.Ordinal);
        Assert.EndsWith("USER claude\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("HEALTHCHECK", text, StringComparison.Ordinal);
        Assert.DoesNotContain("ENTRYPOINT", text, StringComparison.Ordinal);
    }

    private string Dockerfile()
    {
        var context = Directory.CreateDirectory(Path.Combine(_directory.Path, "context")).FullName;
        File.WriteAllText(Path.Combine(context, "Dockerfile"), "FROM scratch\n");
        return context;
    }

    private string FakeSdk()
    {
        var root = Directory.CreateDirectory(Path.Combine(_directory.Path, "sdk-root")).FullName;
        File.WriteAllText(Path.Combine(root, "dotnet"), "muxer");
        File.SetUnixFileMode(Path.Combine(root, "dotnet"), (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Path.Combine(root, "sdk", "10.0.100"));
        File.WriteAllText(Path.Combine(root, "sdk", "10.0.100", "version.txt"), "10.0.100");
        Directory.CreateSymbolicLink(Path.Combine(root, "sdk", "current"), "10.0.100");
        return root;
    }

    private static async Task<Dictionary<string, (TarEntryType Type, UnixFileMode Mode, string Text, string Link)>> EntriesAsync(ImageBuildRequest request)
    {
        using var stream = new MemoryStream();
        await ImageBuilder.WriteContextAsync(stream, request, CancellationToken.None);
        stream.Position = 0;
        var entries = new Dictionary<string, (TarEntryType, UnixFileMode, string, string)>(StringComparer.Ordinal);
        await using var reader = new TarReader(stream);
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            var text = entry.DataStream is { } data ? await new StreamReader(data).ReadToEndAsync() : "";
            entries[entry.Name] = (entry.EntryType, entry.Mode, text, entry.LinkName);
        }

        return entries;
    }
}
