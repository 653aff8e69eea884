using System.Diagnostics;
using System.Globalization;
using ClaudeHooks.Agents;
using ClaudeHooks.Containers;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Bench;

/// <summary>
/// The sandbox itself: create → ready (create, start, the init's pids read) and end (count, remove, check), and
/// the cost of keeping a 1 MB transcript: restore into a sandbox, save out of it into the database.
/// </summary>
internal static class SandboxBenchmark
{
    public static async Task RunAsync(int runs)
    {
        using var docker = DockerConnection.Create();
        await using var sandbox = await RawExec.StartSandboxAsync(docker, warmSandboxes: 0);
        var agent = sandbox.Config.Find("dev")!;
        var manager = sandbox.Sandboxes;
        await manager.ReleaseAsync(await manager.CreateProbeAsync(agent, CancellationToken.None));

        var create = new List<double>();
        var release = new List<double>();
        for (var i = 0; i < runs * 2; i++)
        {
            var made = await manager.CreateProbeAsync(agent, CancellationToken.None);
            create.Add(made.CreateTime.TotalMilliseconds);
            var stopwatch = Stopwatch.StartNew();
            await manager.ReleaseAsync(made);
            release.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sandbox: create -> ready: p50 {Stats.Percentile(create, 50):0.0} ms, p99 {Stats.Percentile(create, 99):0.0} ms, max {create.Max():0.0} ms ({create.Count} sandboxes)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sandbox: end (count processes, remove with its volume, check gone): p50 {Stats.Percentile(release, 50):0.0} ms, p99 {Stats.Percentile(release, 99):0.0} ms"));

        // A transcript of 1 MB: JSON lines like the CLI's.
        var line = "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"" + new string('x', 1000) + "\"}]}}\n";
        var data = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(line, (1024 * 1024) / line.Length + 1)))[..(1024 * 1024)];
        var session = Guid.NewGuid().ToString();
        var record = new TranscriptRecord("dev", "bench/repo", "bench", session, "-work-bench-repo-bench", data, DateTimeOffset.UtcNow);
        var keeper = new TranscriptKeeper(sandbox.Runtime);
        var restore = new List<double>();
        var save = new List<double>();
        var target = await manager.CreateProbeAsync(agent, CancellationToken.None);
        for (var i = 0; i < runs; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            var problem = await keeper.RestoreAsync(target, "claude", record, CancellationToken.None);
            restore.Add(stopwatch.Elapsed.TotalMilliseconds);
            stopwatch.Restart();
            var (saved, why) = await keeper.SaveAsync(target, "claude", "dev", "bench/repo", "bench", session, CancellationToken.None);
            await sandbox.Store.SaveTranscriptAsync(saved ?? throw new InvalidOperationException(why ?? problem), CancellationToken.None);
            save.Add(stopwatch.Elapsed.TotalMilliseconds);
            if (saved.Data.Length != data.Length)
            {
                throw new InvalidOperationException($"the transcript came back with {saved.Data.Length} bytes, not {data.Length}");
            }
        }

        await manager.ReleaseAsync(target);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sandbox: 1 MB transcript restore (database -> sandbox): p50 {Stats.Percentile(restore, 50):0.0} ms, p99 {Stats.Percentile(restore, 99):0.0} ms; save (sandbox -> database): p50 {Stats.Percentile(save, 50):0.0} ms, p99 {Stats.Percentile(save, 99):0.0} ms ({runs} runs)"));
    }
}
