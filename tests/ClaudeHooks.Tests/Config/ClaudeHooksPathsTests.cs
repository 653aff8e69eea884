using ClaudeHooks.Config;

namespace ClaudeHooks.Tests.Config;

/// <summary>The one config search order of the CLI and the service, against real files.</summary>
public sealed class ClaudeHooksPathsTests : IDisposable
{
    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    private ClaudeHooksPaths Paths => new(Path.Combine(_root.Path, "home"));

    private string HomeFile => Path.Combine(_root.Path, "home", "agents.json");

    private string SystemFile => Path.Combine(_root.Path, "etc", "agents.json");

    private string Executable => Path.Combine(_root.Path, "app");

    private string BesideExecutable => Path.Combine(Executable, "config", "agents.json");

    [Fact]
    public void FindConfigFile_ExplicitPath_WinsOverEveryOther()
    {
        WriteAll();

        var found = ClaudeHooksPaths.FindConfigFile(Path.Combine(_root.Path, "mine.json"), Path.Combine(_root.Path, "env.json"), Paths, SystemFile, Executable);

        Assert.Equal((Path.Combine(_root.Path, "mine.json"), "--config"), found);
    }

    [Fact]
    public void FindConfigFile_EnvironmentVariable_WinsOverHomeSystemAndExecutable()
    {
        WriteAll();

        var found = ClaudeHooksPaths.FindConfigFile(null, Path.Combine(_root.Path, "env.json"), Paths, SystemFile, Executable);

        Assert.Equal((Path.Combine(_root.Path, "env.json"), "$CLAUDE_HOOKS_CONFIG"), found);
    }

    [Fact]
    public void FindConfigFile_EnvironmentVariableNamingAMissingFile_IsKeptSoLoadingFailsLoudly()
    {
        WriteAll();
        var missing = Path.Combine(_root.Path, "missing.json");

        Assert.Equal(missing, ClaudeHooksPaths.FindConfigFile("", missing, Paths, SystemFile, Executable).File);
    }

    [Fact]
    public void FindConfigFile_FileInTheHome_WinsOverSystemAndExecutable()
    {
        WriteAll();

        var found = ClaudeHooksPaths.FindConfigFile(null, "", Paths, SystemFile, Executable);

        Assert.Equal((HomeFile, "$CLAUDE_HOOKS_HOME"), found);
    }

    [Fact]
    public void FindConfigFile_NoneInTheHome_IsTheSystemFile()
    {
        WriteAll();
        File.Delete(HomeFile);

        var found = ClaudeHooksPaths.FindConfigFile(null, null, Paths, SystemFile, Executable);

        Assert.Equal((SystemFile, "the system config"), found);
    }

    [Fact]
    public void FindConfigFile_NeitherHomeNorSystemFile_IsTheCopyBesideTheExecutable()
    {
        WriteAll();
        File.Delete(HomeFile);
        File.Delete(SystemFile);

        var found = ClaudeHooksPaths.FindConfigFile(null, null, Paths, SystemFile, Executable);

        Assert.Equal((BesideExecutable, "the copy beside the executable"), found);
    }

    private void WriteAll()
    {
        foreach (var file in new[] { HomeFile, SystemFile, BesideExecutable })
        {
            _root.Write(Path.GetRelativePath(_root.Path, file), "{}");
        }
    }
}
