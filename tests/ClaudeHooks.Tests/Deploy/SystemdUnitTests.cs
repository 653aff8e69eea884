using System.Diagnostics;
using ClaudeHooks.Config;
using ClaudeHooks.Tests.Config;

namespace ClaudeHooks.Tests.Deploy;

/// <summary>
/// The system unit and the user unit scripts/start writes, checked by systemd's own parser. Outside CI a machine
/// without systemd-analyze skips these loudly; under CI=true its absence fails them.
/// </summary>
public sealed class SystemdUnitTests : IDisposable
{
    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    [SkippableFact]
    public async Task SystemUnit_WithItsExecutablePresent_PassesSystemdAnalyzeVerify()
    {
        var analyze = RequireSystemdAnalyze();
        var executable = FakeExecutable();
        var unit = _root.Write("claude-hooks.service", File.ReadAllText(ConfigLoaderTests.RepositoryFile("deploy/systemd/claude-hooks.service"))
            .Replace("/usr/local/bin/claude-hooks", executable, StringComparison.Ordinal));

        var (code, output) = await RunAsync(analyze, ["verify", unit]);

        Assert.True(code == 0 && output.Length == 0, $"systemd-analyze verify exited {code}:\n{output}");
    }

    [SkippableFact]
    public async Task UserUnit_AsScriptsStartRendersIt_PassesSystemdAnalyzeVerifyAndEscapesPercent()
    {
        var analyze = RequireSystemdAnalyze();
        var executable = FakeExecutable();
        var library = ConfigLoaderTests.RepositoryFile("scripts/lib/service.sh");
        var template = ConfigLoaderTests.RepositoryFile("deploy/systemd/user/claude-hooks.service");
        var unit = Path.Combine(_root.Path, "user", "claude-hooks.service");
        Directory.CreateDirectory(Path.GetDirectoryName(unit)!);

        var (renderCode, renderOutput) = await RunAsync("bash", ["-c", "source \"$1\" && render_user_unit \"$2\" \"$3\" http://127.0.0.1:8080 /srv/checkout \"CLAUDE_HOOKS_HOME=/srv/a b%c\" >\"$4\"", "render", library, template, executable, unit]);
        Assert.True(renderCode == 0, renderOutput);

        // A user manager's paths come from $XDG_RUNTIME_DIR; none runs here, so it gets a folder of its own.
        var runtime = Directory.CreateDirectory(Path.Combine(_root.Path, "runtime"), OwnerOnly.DirectoryMode).FullName;
        var (code, output) = await RunAsync(analyze, ["verify", "--user", unit], new Dictionary<string, string> { ["XDG_RUNTIME_DIR"] = runtime });

        Assert.True(code == 0 && output.Length == 0, $"systemd-analyze verify --user exited {code}:\n{output}");
        var text = await File.ReadAllTextAsync(unit);
        Assert.Contains("Environment=\"CLAUDE_HOOKS_HOME=/srv/a b%%c\"\n", text, StringComparison.Ordinal);
        Assert.Contains($"ExecStart=\"{executable}\" serve --urls http://127.0.0.1:8080\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain(text.Split('\n'), l => !l.StartsWith('#') && l.Contains('@', StringComparison.Ordinal));
    }

    [Fact]
    public void UserUnit_TimeoutStopSec_EqualsTheShutdownBudget()
    {
        var unit = File.ReadAllLines(ConfigLoaderTests.RepositoryFile("deploy/systemd/user/claude-hooks.service"));

        Assert.Equal($"TimeoutStopSec={(int)ShutdownBudget.TimeoutStopSec.TotalSeconds}", Assert.Single(unit, l => l.StartsWith("TimeoutStopSec=", StringComparison.Ordinal)));
    }

    [Fact]
    public void SystemUnit_RunsAsItsOwnUserWithOnlyItsStateWritable_AndLeavesTheLogFormatAlone()
    {
        var lines = File.ReadAllLines(ConfigLoaderTests.RepositoryFile("deploy/systemd/claude-hooks.service"))
            .Where(l => !l.StartsWith('#') && l.Contains('=', StringComparison.Ordinal)).ToList();

        foreach (var expected in new[]
        {
            "Type=notify", "User=claude-hooks", "Group=claude-hooks", "SupplementaryGroups=docker", "StateDirectoryMode=0700",
            "Environment=CLAUDE_HOOKS_HOME=/var/lib/claude-hooks", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
            "NoNewPrivileges=yes", "UMask=0077", "KillMode=mixed",
        })
        {
            Assert.Contains(expected, lines);
        }

        // Writable: the state folder (the home and the database below it); nothing else, /etc/claude-hooks included.
        Assert.Equal("StateDirectory=claude-hooks claude-hooks/data", Assert.Single(lines, l => l.StartsWith("StateDirectory=", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => l.StartsWith("ReadWritePaths=", StringComparison.Ordinal));
        Assert.Contains("--data-dir /var/lib/claude-hooks/data", Assert.Single(lines, l => l.StartsWith("ExecStart=", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.Contains("DOTNET_", StringComparison.Ordinal) || l.Contains("Logging__", StringComparison.Ordinal));
    }

    private string FakeExecutable() => _root.Write("bin/claude-hooks", "#!/bin/sh\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

    private static string RequireSystemdAnalyze()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "systemd-analyze")).FirstOrDefault(File.Exists);
        if (found is null && string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail("CI=true requires systemd-analyze to check the units; install it: apt-get install -y systemd");
        }

        if (found is null)
        {
            Console.Error.WriteLine("!!!!! systemd-analyze MISSING: the unit file checks are SKIPPED (apt-get install -y systemd) !!!!!");
        }

        Skip.If(found is null, "systemd-analyze is not installed (apt-get install -y systemd)");
        return found!;
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string[] arguments, Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await output + await error).Trim());
    }
}
