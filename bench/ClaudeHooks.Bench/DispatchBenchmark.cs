using System.Diagnostics;
using System.Globalization;
using ClaudeHooks.Containers;

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
        await using var sandbox = await RawExec.StartSandboxAsync(docker);
        var prefix = sandbox.Prefix;
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
        Task<double> RawOnceAsync() => RawExec.TimeToInitAsync(container, worktree, sandbox.Config.Model.BaseUrl!);

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
