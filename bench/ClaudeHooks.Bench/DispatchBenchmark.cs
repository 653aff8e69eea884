using System.Diagnostics;
using System.Globalization;
using ClaudeHooks.Containers;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.Bench;

/// <summary>
/// Time from calling the runner to the first <c>system/init</c> event, against a raw
/// <c>docker exec &lt;container&gt; claude -p ...</c> with the same scripted model, on a sandbox agent.
/// </summary>
internal static class DispatchBenchmark
{
    public static async Task RunAsync(int runs)
    {
        using var docker = DockerConnection.Create();
        await DockerConnection.EnsureReachableAsync(docker, CancellationToken.None);
        const string image = "claude-hooks/agent-base:latest";
        await AgentSandbox.EnsureImageAsync(docker, image);
        var prefix = AgentSandbox.NewPrefix("chb");
        await using var sandbox = await AgentSandbox.StartAsync(docker, prefix, $$"""
            { "container_prefix": "{{prefix}}", "images": { "default": "{{image}}" },
              "agents": { "dev": { "role": "dev", "forge_user": "bench-dev", "claude_auth": { "api_key_file": "claude-auth/dev" },
                                   "runner": { "timeout": "5m", "idle_timeout": "1m" } } } }
            """,
            new Dictionary<string, string> { ["tokens/dev"] = "bench-token", ["claude-auth/dev"] = "sk-ant-api03-bench" },
            serverAgent: "dev");
        var repo = await sandbox.Git.CreateRepositoryAsync("bench", "repo", new Dictionary<string, string> { ["README.md"] = "bench\n" });
        var runner = sandbox.Runner();
        var container = ResourceNames.Container(prefix, "dev");

        var worktreeTimes = new List<double>();
        async Task<double> RunnerOnceAsync(int i)
        {
            var task = await sandbox.NewRunningTaskAsync("dev", repo, $"bench-{i}", "Say hello.", CancellationToken.None);
            using var subscription = sandbox.Events.Subscribe(task.Id);
            var stopwatch = Stopwatch.StartNew();
            var firstInit = Task.Run(async () =>
            {
                await foreach (var e in subscription.Reader.ReadAllAsync())
                {
                    if (e.Type == "runner/worktree")
                    {
                        worktreeTimes.Add(stopwatch.Elapsed.TotalMilliseconds);
                    }

                    if (e.Type == "system/init")
                    {
                        return stopwatch.Elapsed.TotalMilliseconds;
                    }
                }

                return double.NaN;
            });
            var outcome = await runner.RunAsync(task, CancellationToken.None);
            sandbox.Events.Complete(task.Id);
            return outcome.Status == Tasks.TaskState.Succeeded ? await firstInit : throw new InvalidOperationException($"benchmark run failed: {outcome.Reason}");
        }

        // The raw baseline runs in the worktree the runner prepared for thread bench-0.
        await RunnerOnceAsync(0);
        var worktree = ClaudeHooks.Workdir.RepositoryUrl.Parse(repo, allowLocal: false).WorktreePath("bench-0");
        async Task<double> RawOnceAsync()
        {
            var start = new ProcessStartInfo("docker") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[]
            {
                "exec", "-i", "-u", "claude", "-w", worktree, "-e", "ANTHROPIC_API_KEY", "-e", $"ANTHROPIC_BASE_URL={sandbox.Config.Model.BaseUrl}",
                "-e", "CLAUDE_CONFIG_DIR=/state/claude", "-e", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "-e", "DISABLE_AUTOUPDATER=1",
                container, "claude", "-p", "--output-format=stream-json", "--verbose", $"--session-id={Guid.NewGuid()}", "--max-turns=100", "--permission-mode=bypassPermissions",
            })
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["ANTHROPIC_API_KEY"] = "sk-ant-api03-bench";
            var stopwatch = Stopwatch.StartNew();
            using var process = Process.Start(start)!;
            await process.StandardInput.WriteAsync("Say hello.");
            process.StandardInput.Close();
            double elapsed = double.NaN;
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (double.IsNaN(elapsed) && line.Contains("\"subtype\":\"init\"", StringComparison.Ordinal))
                {
                    elapsed = stopwatch.Elapsed.TotalMilliseconds;
                }
            }

            await process.WaitForExitAsync();
            return process.ExitCode == 0 && !double.IsNaN(elapsed) ? elapsed : throw new InvalidOperationException($"raw docker exec failed: {await process.StandardError.ReadToEndAsync()}");
        }

        await RawOnceAsync();
        worktreeTimes.Clear();
        var runnerTimes = new List<double>();
        var rawTimes = new List<double>();
        for (var i = 1; i <= runs; i++)
        {
            // Interleaved, so drift on the machine touches both alike.
            runnerTimes.Add(await RunnerOnceAsync(i));
            rawTimes.Add(await RawOnceAsync());
        }

        var ratio = Stats.Percentile(runnerTimes, 50) / Stats.Percentile(rawTimes, 50);
        Console.WriteLine($"dispatch: runner call -> system/init (fetch + new worktree + exec): {Stats.Describe(runnerTimes)}");
        Console.WriteLine($"dispatch:   of which fetch + worktree ready:                          {Stats.Describe(worktreeTimes)}");
        Console.WriteLine($"dispatch: raw docker exec claude -p -> system/init:             {Stats.Describe(rawTimes)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dispatch: ratio of medians runner/raw = {ratio:0.00} (target <= 1.10)"));
    }
}
