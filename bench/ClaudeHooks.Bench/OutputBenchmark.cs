using System.Diagnostics;
using System.Globalization;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.Bench;

/// <summary>
/// A task that floods the service: the agent writes 90 MB of event lines straight into the CLI's stdout (the pipe the
/// service reads), through <c>claude-hooks run</c>. Prints the process's peak memory and how much the database grew.
/// </summary>
internal static class OutputBenchmark
{
    private const long Flood = 90L * 1024 * 1024;

    public static async Task RunAsync()
    {
        using var docker = Containers.DockerConnection.Create();
        await using var sandbox = await RawExec.StartSandboxAsync(docker, warmSandboxes: 0);
        var repo = await sandbox.Git.CreateRepositoryAsync("bench", "flood", new Dictionary<string, string> { ["README.md"] = "# flood\n" });
        var line = "{\"type\":\"assistant\",\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"" + new string('x', 4000) + "\"}]}}";
        var flood = $"cli=$(pgrep -o -f 'claude -p'); yes '{line}' | head -c {Flood} > /proc/$cli/fd/1; echo flooded";
        sandbox.Model.EnqueueFor("flood-bench", ScriptedTurn.Bash(flood), ScriptedTurn.Text("Flooded."));
        var data = Directory.CreateTempSubdirectory("claude-hooks-flood-").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "claude-hooks.dll"), "run", "--config", sandbox.ConfigFile, "--data-dir", data, "--agent", "dev", "--repo", repo, "--thread", "flood", "flood-bench: flood" })
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["CLAUDE_HOOKS_HOME"] = sandbox.Home;
            var stopwatch = Stopwatch.StartNew();
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            long baseline = 0, peak = 0;
            while (!process.HasExited)
            {
                var rss = Rss(process.Id);
                baseline = baseline == 0 && rss > 0 ? rss : baseline;
                peak = Math.Max(peak, rss);
                await Task.Delay(50);
            }

            await process.WaitForExitAsync();
            var database = Directory.EnumerateFiles(data).Sum(f => new FileInfo(f).Length);
            var verdict = (await output).Split('\n').FirstOrDefault(l => l.StartsWith("task ", StringComparison.Ordinal) && l.Contains('—', StringComparison.Ordinal)) ?? (await error)[..Math.Min(300, (await error).Length)];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"output: {Flood / 1048576} MB of agent output through claude-hooks run: RSS first seen {baseline / 1048576.0:0} MB, peak {peak / 1048576.0:0} MB; database {database / 1048576.0:0.0} MB; {stopwatch.Elapsed.TotalSeconds:0.0} s; {verdict.Trim()}"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }

    private static long Rss(int pid)
    {
        try
        {
            var status = File.ReadAllLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return status is null ? 0 : long.Parse(status.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
