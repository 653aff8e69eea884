using ClaudeHooks.Config;

namespace ClaudeHooks.Tests.Config;

public sealed class ServiceFilesTests : IDisposable
{
    private const UnixFileMode Loose = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Prepare_LooseHomeDatabaseAndJournal_MakesThemOwnerOnlyAndNamesEach()
    {
        var paths = new ClaudeHooksPaths(Path.Combine(_root.Path, "home"));
        var data = Path.Combine(_root.Path, "data");
        var token = _root.Write("home/api-token", "t\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var database = _root.Write("data/claude-hooks.db", "", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var wal = _root.Write("data/claude-hooks.db-wal", "", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var agentToken = _root.Write("home/tokens/dev", "t\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        File.SetUnixFileMode(paths.Home, Loose);
        File.SetUnixFileMode(data, Loose);

        var changed = ServiceFiles.Prepare(paths, data);

        Assert.Equal(
            [$"{paths.Home} (0755 -> 0700)", $"{token} (0640 -> 0600)", $"{data} (0755 -> 0700)", $"{database} (0644 -> 0600)", $"{wal} (0604 -> 0600)"],
            changed);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(database));
        Assert.Equal(OwnerOnly.DirectoryMode, File.GetUnixFileMode(paths.Home));

        // What the operator wrote is refused with the chmod to run, not silently changed.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead, File.GetUnixFileMode(agentToken));
        Assert.Empty(ServiceFiles.Prepare(paths, data));
    }

    [Fact]
    public void Prepare_NothingThereYet_CreatesTheHomeAndTheDataFolderWithTheirParentsOwnerOnly()
    {
        var paths = new ClaudeHooksPaths(Path.Combine(_root.Path, "config", "claude-hooks"));
        var data = Path.Combine(_root.Path, "share", "claude-hooks");

        Assert.Empty(ServiceFiles.Prepare(paths, data));

        Assert.All(
            new[] { Path.Combine(_root.Path, "config"), paths.Home, Path.Combine(_root.Path, "share"), data },
            folder => Assert.Equal(OwnerOnly.DirectoryMode, File.GetUnixFileMode(folder)));
    }
}
