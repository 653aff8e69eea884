using System.Diagnostics;
using ClaudeHooks.Tests.Config;

namespace ClaudeHooks.Tests.Scripts;

/// <summary>scripts/lib/service.sh, the log of scripts/start's fallback where no systemd user manager runs, in real bash.</summary>
public sealed class ServiceScriptTests : IDisposable
{
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    private string Log => Path.Combine(_root.Path, "state", "serve.log");

    [Fact]
    public async Task WriteRotatedLog_MoreThanFourTimesTheCap_KeepsTheNewestInFourOwnerOnlyFiles()
    {
        var lines = Enumerable.Range(1, 200).Select(i => $"line {i:D4} {new string('x', 40)}").ToList();

        var code = await RunAsync("private_dir \"$(dirname \"$1\")\" && write_rotated_log \"$1\" 1000 3", string.Join('\n', lines) + "\n");

        Assert.Equal(0, code);
        Assert.False(File.Exists(Log + ".4"));
        var files = new[] { Log + ".3", Log + ".2", Log + ".1", Log };
        Assert.All(files, f => Assert.Equal(OwnerFile, File.GetUnixFileMode(f)));
        Assert.Equal(ClaudeHooks.Config.OwnerOnly.DirectoryMode, File.GetUnixFileMode(Path.GetDirectoryName(Log)!));

        // Each rotated file stops at the first line that reaches the cap; together they are the end of the input.
        Assert.All(files[..3], f => Assert.InRange(new FileInfo(f).Length, 1000, 1000 + lines[0].Length));
        var kept = files.SelectMany(File.ReadAllLines).ToList();
        Assert.Equal(lines.TakeLast(kept.Count), kept);
        Assert.True(kept.Count < lines.Count, "nothing was dropped");
    }

    [Fact]
    public async Task WriteRotatedLog_ExistingLooseLog_IsAppendedToAndMadeOwnerOnly()
    {
        _root.Write("state/serve.log", "earlier\n", OwnerFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        _root.Write("state/serve.log.1", "older\n", OwnerFile | UnixFileMode.OtherRead);

        var code = await RunAsync("write_rotated_log \"$1\" 1000 3", "later\n");

        Assert.Equal(0, code);
        Assert.Equal("earlier\nlater\n", await File.ReadAllTextAsync(Log));
        Assert.Equal(OwnerFile, File.GetUnixFileMode(Log));
        Assert.Equal(OwnerFile, File.GetUnixFileMode(Log + ".1"));
    }

    /// <summary>Runs a snippet with the library sourced under umask 000 (the loosest a caller can give), the log's path as $1.</summary>
    private async Task<int> RunAsync(string snippet, string input)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-c", $"set -euo pipefail; umask 000; source \"$0\"; {snippet}", ConfigLoaderTests.RepositoryFile("scripts/lib/service.sh"), Log })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        var stderr = await error;
        Assert.True(stderr.Length == 0, stderr);
        return process.ExitCode;
    }
}
