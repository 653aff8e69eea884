using System.Diagnostics;
using System.Globalization;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Bench;

/// <summary>
/// Time from calling the runner to the first <c>system/init</c> event (warm sandbox, cache fetch, checkout, exec),
/// against a raw <c>docker exec &lt;sandbox&gt; claude -p ...</c> with the same scripted model.
/// </summary>
internal static class DispatchBenchmark
{
    public static async Task RunAsync(int runs)
    {
        using var docker = DockerConnection.Create();
        await using var sandbox = await RawExec.StartSandboxAsync(docker);
        var repo = await sandbox.Git.CreateRepositoryAsync("bench", "repo", new Dictionary<string, string> { ["README.md"] = "bench\n" });
        var runner = sandbox.Runner();

        var worktreeTimes = new List<double>();
        var sandboxTimes = new List<double>();
        async Task<double> RunnerOnceAsync(int i)
        {
            var task = await sandbox.NewRunningTaskAsync("dev", repo, $"bench-{i}", "Say hello.", CancellationToken.None);
            using var subscription = sandbox.Events.Subscribe(task.Id);
            var stopwatch = Stopwatch.StartNew();
            var firstInit = Task.Run(async () =>
            {
                await foreach (var e in subscription.Reader.ReadAllAsync())
                {
                    if (e.Type == "runner/sandbox")
                    {
                        sandboxTimes.Add(stopwatch.Elapsed.TotalMilliseconds);
                    }

                    if (e.Type == "runner/checkout")
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
            return outcome.Status == Agents.RunStatus.Succeeded ? await firstInit : throw new InvalidOperationException($"benchmark run failed: {outcome.Reason}");
        }

        // The raw baseline runs in a sandbox kept for the whole run, with a checkout already in it.
        await RunnerOnceAsync(0);
        var (baseline, checkout) = await RawExec.BaselineAsync(sandbox, repo);
        Task<double> RawOnceAsync() => RawExec.TimeToInitAsync(baseline, checkout, sandbox.Config.Model.BaseUrl!);

        await RawOnceAsync();
        worktreeTimes.Clear();
        sandboxTimes.Clear();
        var runnerTimes = new List<double>();
        var rawTimes = new List<double>();
        for (var i = 1; i <= runs; i++)
        {
            // Interleaved, so drift on the machine touches both alike; each runner call finds a warm sandbox.
            // Both start on a quiet machine: the pool has made its next warm sandbox.
            await WaitForWarmAsync(sandbox);
            runnerTimes.Add(await RunnerOnceAsync(i));
            await WaitForWarmAsync(sandbox);
            rawTimes.Add(await RawOnceAsync());
        }

        await sandbox.Runtime.RemoveAsync(baseline, CancellationToken.None);

        var ratio = Stats.Percentile(runnerTimes, 50) / Stats.Percentile(rawTimes, 50);
        Console.WriteLine($"dispatch: runner call -> system/init (warm sandbox, fetch, checkout, exec): {Stats.Describe(runnerTimes)}");
        Console.WriteLine($"dispatch:   of which a warm sandbox taken:                              {Stats.Describe(sandboxTimes)}");
        Console.WriteLine($"dispatch:   of which the cache fetched (in parallel) and the start known: {Stats.Describe(worktreeTimes)}");
        Console.WriteLine($"dispatch: raw docker exec claude -p -> system/init:             {Stats.Describe(rawTimes)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dispatch: ratio of medians runner/raw = {ratio:0.00} (target <= 1.10)"));
    }

    /// <summary>Waits until the agent's pool has a warm sandbox ready (the one before was taken by the last run).</summary>
    public static async Task WaitForWarmAsync(TestServers.AgentSandbox sandbox)
    {
        for (var i = 0; i < 200 && sandbox.Sandboxes.WarmCount("dev") == 0; i++)
        {
            await Task.Delay(25);
        }
    }
}
