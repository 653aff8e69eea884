using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ClaudeHooks.Containers;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.Bench;

/// <summary>
/// Against a real service process: submit → first agent event compared with raw docker exec, POST /task latency
/// (sequential) and sustained accepted submits per second (concurrent clients), all with durable writes.
/// </summary>
internal static class ApiBenchmark
{
    public static async Task RunAsync(int runs)
    {
        using var docker = DockerConnection.Create();
        await using var sandbox = await RawExec.StartSandboxAsync(docker);
        var data = Directory.CreateTempSubdirectory("claude-hooks-bench-").FullName;
        await using var service = await ServiceProcess.StartAsync(sandbox.ConfigFile, sandbox.Home, data, ServiceProcess.FreePort());
        var repo = await sandbox.Git.CreateRepositoryAsync("bench", "api", new Dictionary<string, string> { ["README.md"] = "bench\n" });
        var container = ResourceNames.Container(sandbox.Prefix, "dev");

        // Warm-up, and the worktree the raw baseline runs in.
        var warm = await SubmitAsync(service, repo, "bench-e2e-0");
        await FirstInitAsync(service, warm);
        await WaitEndAsync(service, warm);
        var worktree = ClaudeHooks.Workdir.RepositoryUrl.Parse(repo, allowLocal: false).WorktreePath("bench-e2e-0");
        await RawExec.TimeToInitAsync(container, worktree, sandbox.Config.Model.BaseUrl!);

        var endToEnd = new List<double>();
        var raw = new List<double>();
        for (var i = 1; i <= runs; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            var id = await SubmitAsync(service, repo, $"bench-e2e-{i}");
            await FirstInitAsync(service, id);
            endToEnd.Add(stopwatch.Elapsed.TotalMilliseconds);
            await WaitEndAsync(service, id);
            raw.Add(await RawExec.TimeToInitAsync(container, worktree, sandbox.Config.Model.BaseUrl!));
        }

        Console.WriteLine($"api: submit -> first agent event (queue, claim, fetch, worktree, exec): {Stats.Describe(endToEnd)}");
        Console.WriteLine($"api: raw docker exec claude -p -> system/init:                       {Stats.Describe(raw)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"api: ratio of medians = {Stats.Percentile(endToEnd, 50) / Stats.Percentile(raw, 50):0.00}"));

        // Latency of accepting a task, one client at a time (tasks queue up behind the one agent).
        var latencies = new List<double>();
        for (var i = 0; i < 500; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            await SubmitAsync(service, repo, $"bench-latency-{i}");
            latencies.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"api: POST /task latency, sequential: p50 {Stats.Percentile(latencies, 50):0.00} ms, p99 {Stats.Percentile(latencies, 99):0.00} ms, max {latencies.Max():0.00} ms (500 requests)"));

        // Sustained accepted submits per second: 8 concurrent clients for 10 s.
        var accepted = 0;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var clock = Stopwatch.StartNew();
        var concurrent = new List<double>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async worker =>
        {
            for (var i = 0; DateTime.UtcNow < deadline && i < 100_000; i++)
            {
                var stopwatch = Stopwatch.StartNew();
                await SubmitAsync(service, repo, $"bench-load-{worker}-{i}");
                lock (concurrent)
                {
                    concurrent.Add(stopwatch.Elapsed.TotalMilliseconds);
                }

                Interlocked.Increment(ref accepted);
            }
        }));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"api: sustained: {accepted / clock.Elapsed.TotalSeconds:0} accepted tasks/s with 8 clients over {clock.Elapsed.TotalSeconds:0.0} s; p50 {Stats.Percentile(concurrent, 50):0.00} ms, p99 {Stats.Percentile(concurrent, 99):0.00} ms"));

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    private static async Task<string> SubmitAsync(ServiceProcess service, string repo, string thread)
    {
        using var response = await service.Client.PostAsJsonAsync("task", new { agent = "dev", repo, prompt = "Say hello.", thread });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("task_id").GetString()!;
    }

    private static async Task FirstInitAsync(ServiceProcess service, string id)
    {
        using var response = await service.Client.GetAsync($"task/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line == "event: system/init")
            {
                return;
            }
        }

        throw new InvalidOperationException($"task {id} ended without a system/init event");
    }

    private static async Task WaitEndAsync(ServiceProcess service, string id)
    {
        while ((await service.Client.GetFromJsonAsync<JsonElement>($"task/{id}")).GetProperty("state").GetString() is "queued" or "running")
        {
            await Task.Delay(50);
        }
    }
}
