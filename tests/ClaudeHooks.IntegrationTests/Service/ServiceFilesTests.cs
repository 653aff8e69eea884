using System.Diagnostics;
using System.Text;
using ClaudeHooks.Containers;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Service;

/// <summary>
/// A real <c>claude-hooks serve</c> started under <c>umask 000</c>, the loosest a careless shell or unit can give:
/// what it writes on disk is still its user's alone, and the API token it creates is never in its output.
/// </summary>
public sealed class ServiceFilesTests : IAsyncLifetime
{
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly string _root = Directory.CreateTempSubdirectory("claude-hooks-files-").FullName;
    private readonly string _prefix = AgentSandbox.NewPrefix("chf");
    private readonly Docker.DotNet.DockerClient _docker = DockerConnection.Create();
    private string? _skip;

    private string Home => Path.Combine(_root, "home");

    private string DataDirectory => Path.Combine(_root, "state", "data");

    private string Database => Path.Combine(DataDirectory, "claude-hooks.db");

    private string ConfigFile => Path.Combine(_root, "agents.json");

    public async Task InitializeAsync()
    {
        try
        {
            await DockerConnection.EnsureReachableAsync(_docker, CancellationToken.None);
        }
        catch (EngineUnavailableException e) when (!string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            _skip = $"NO DOCKER ENGINE: Docker-backed tests SKIPPED ({e.Message})";
            await Console.Error.WriteLineAsync($"!!!!! {_skip} !!!!!");
            return;
        }

        var image = Environment.GetEnvironmentVariable("CLAUDE_HOOKS_TEST_IMAGE") ?? "claude-hooks/agent-base:latest";
        await AgentSandbox.EnsureImageAsync(_docker, image);

        // serve needs only the agent's image to start; no agent container, sandbox or credential.
        await File.WriteAllTextAsync(ConfigFile, $$"""
            {
              "container_prefix": "{{_prefix}}",
              "images": { "default": "{{image}}" },
              "model": { "base_url": "http://127.0.0.1:9" },
              "agents": { "dev": { "role": "dev", "forge_user": "files-dev", "warm_sandboxes": 0 } }
            }
            """);
    }

    public Task DisposeAsync()
    {
        _docker.Dispose();
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    [SkippableFact]
    public async Task Serve_FirstStartUnderUmask000_CreatesEveryFileAndFolderOwnerOnly()
    {
        Skip.If(_skip is not null, _skip);

        var log = await RunServeAsync(async () =>
        {
            Assert.Equal(OwnerFolder, Mode(Home));
            Assert.Equal(OwnerFolder, Mode(Path.Combine(Home, "gateway")));
            Assert.Equal(OwnerFolder, Mode(Path.GetDirectoryName(DataDirectory)!));
            Assert.Equal(OwnerFolder, Mode(DataDirectory));
            Assert.Equal(OwnerFile, Mode(Path.Combine(Home, "api-token")));
            Assert.Equal(OwnerFile, Mode(Path.Combine(Home, "link-key")));

            // Open in WAL mode while serve runs: SQLite made -wal and -shm itself.
            Assert.Equal(OwnerFile, Mode(Database));
            Assert.Equal(OwnerFile, Mode(Database + "-wal"));
            Assert.Equal(OwnerFile, Mode(Database + "-shm"));
            await Task.CompletedTask;
        });

        Assert.Equal(OwnerFile, Mode(Database));
        Assert.DoesNotContain("readable by their owner only", log, StringComparison.Ordinal);
        Assert.Contains($"config {ConfigFile} (chosen by --config)", log, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Serve_FirstStart_SaysWhereTheTokenIsAndNeverPrintsIt()
    {
        Skip.If(_skip is not null, _skip);
        var tokenFile = Path.Combine(Home, "api-token");

        var log = await RunServeAsync(() => Task.CompletedTask);

        var token = (await File.ReadAllTextAsync(tokenFile)).Trim();
        Assert.Equal(64, token.Length);
        Assert.Contains($"API token created in {tokenFile}; read it with: cat {tokenFile}", log, StringComparison.Ordinal);
        Assert.DoesNotContain(token, log, StringComparison.Ordinal);
        Assert.DoesNotContain(token[..16], log, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Serve_InstallWithLooseModes_TightensThemOnceAndSaysSo()
    {
        Skip.If(_skip is not null, _skip);

        // As an older build under umask 022 left it: a readable home, data folder and database.
        Directory.CreateDirectory(Home, OwnerFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(Home, OwnerFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        Directory.CreateDirectory(DataDirectory);
        File.SetUnixFileMode(DataDirectory, OwnerFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        await File.WriteAllBytesAsync(Database, []);
        File.SetUnixFileMode(Database, OwnerFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var first = await RunServeAsync(async () =>
        {
            Assert.Equal(OwnerFolder, Mode(Home));
            Assert.Equal(OwnerFolder, Mode(DataDirectory));
            Assert.Equal(OwnerFile, Mode(Database));
            Assert.Equal(OwnerFile, Mode(Database + "-wal"));
            Assert.Equal(OwnerFile, Mode(Database + "-shm"));
            await Task.CompletedTask;
        });
        var second = await RunServeAsync(() => Task.CompletedTask);

        var line = Assert.Single(first.Split('\n'), l => l.Contains("readable by their owner only", StringComparison.Ordinal));
        Assert.Contains("made 3 files and folders", line, StringComparison.Ordinal);
        Assert.Contains($"{Database} (0644 -> 0600)", line, StringComparison.Ordinal);
        Assert.Contains($"{Home} (0755 -> 0700)", line, StringComparison.Ordinal);
        Assert.DoesNotContain("readable by their owner only", second, StringComparison.Ordinal);
    }

    private static UnixFileMode Mode(string path) => File.GetUnixFileMode(path);

    /// <summary>Starts serve under umask 000, runs <paramref name="whileUp"/> once it answers, stops it with SIGTERM; returns all it printed.</summary>
    private async Task<string> RunServeAsync(Func<Task> whileUp)
    {
        var port = ServiceProcess.FreePort();
        var start = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            "-c", "umask 000; exec \"$0\" \"$@\"", "dotnet", Path.Combine(AppContext.BaseDirectory, "claude-hooks.dll"),
            "serve", "--config", ConfigFile, "--data-dir", DataDirectory, "--urls", $"http://127.0.0.1:{port}",
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["CLAUDE_HOOKS_HOME"] = Home;
        start.Environment.Remove("CLAUDE_HOOKS_CONFIG");
        var output = new StringBuilder();
        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string Output() { lock (output) { return output.ToString(); } }

        try
        {
            using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            while (true)
            {
                Assert.False(process.HasExited, $"claude-hooks serve exited:\n{Output()}");
                try
                {
                    using var health = await probe.GetAsync(new Uri($"http://127.0.0.1:{port}/api/health"), deadline.Token);
                    break;
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(200, deadline.Token);
                }
            }

            await whileUp();
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var stopped = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(stopped.Token);
            process.WaitForExit();
            return Output();
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }
}
