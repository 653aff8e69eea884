using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ClaudeHooks.Containers;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.Bench;

/// <summary>
/// Against a real service process: submit → first agent event with a warm sandbox and with a cold one (a service
/// whose pool is empty), each as a ratio to raw docker exec in the same run; POST /task latency (sequential) and
/// sustained accepted submits per second (concurrent clients), all with durable writes.
/// </summary>
internal static class ApiBenchmark
{
    public static async Task RunAsync(int runs)
    {
        using var docker = DockerConnection.Create();
        await using var sandbox = await RawExec.StartSandboxAsync(docker);
        var repo = await sandbox.Git.CreateRepositoryAsync("bench", "api", new Dictionary<string, string> { ["README.md"] = "bench\n" });
        var coldConfig = Path.Combine(sandbox.Home, "agents-cold.json");
        await File.WriteAllTextAsync(coldConfig, (await File.ReadAllTextAsync(sandbox.ConfigFile)).Replace("\"warm_sandboxes\":1", "\"warm_sandboxes\":0", StringComparison.Ordinal));

        var (warmTimes, warmRaw) = await EndToEndAsync(sandbox, sandbox.ConfigFile, repo, "warm", runs, waitForWarm: true);
        var (coldTimes, coldRaw) = await EndToEndAsync(sandbox, coldConfig, repo, "cold", runs, waitForWarm: false);
        Console.WriteLine($"api: submit -> first agent event, warm sandbox (queue, claim, fetch, checkout, exec): {Stats.Describe(warmTimes)}");
        Console.WriteLine($"api:   raw docker exec claude -p -> system/init, same run:                          {Stats.Describe(warmRaw)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"api:   ratio of medians warm/raw = {Stats.Percentile(warmTimes, 50) / Stats.Percentile(warmRaw, 50):0.00} (target <= 1.10)"));
        Console.WriteLine($"api: submit -> first agent event, cold (the sandbox is created for the task):           {Stats.Describe(coldTimes)}");
        Console.WriteLine($"api:   raw docker exec claude -p -> system/init, same run:                          {Stats.Describe(coldRaw)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"api:   ratio of medians cold/raw = {Stats.Percentile(coldTimes, 50) / Stats.Percentile(coldRaw, 50):0.00}"));

        var data = Directory.CreateTempSubdirectory("claude-hooks-bench-").FullName;
        await using var service = await ServiceProcess.StartAsync(sandbox.ConfigFile, sandbox.Home, data, ServiceProcess.FreePort());

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

    /// <summary>Submit → first agent event through a service started from <paramref name="configFile"/>, interleaved with raw runs.</summary>
    private static async Task<(List<double> Service, List<double> Raw)> EndToEndAsync(AgentSandbox sandbox, string configFile, string repo, string kind, int runs, bool waitForWarm)
    {
        var data = Directory.CreateTempSubdirectory("claude-hooks-bench-").FullName;
        await using var service = await ServiceProcess.StartAsync(configFile, sandbox.Home, data, ServiceProcess.FreePort());
        var (baseline, checkout) = await RawExec.BaselineAsync(sandbox, repo);
        var first = await SubmitAsync(service, repo, $"bench-{kind}-0");
        await FirstInitAsync(service, first);
        await WaitEndAsync(service, first);
        await RawExec.TimeToInitAsync(baseline, checkout, sandbox.Config.Model.BaseUrl!);

        var endToEnd = new List<double>();
        var raw = new List<double>();
        for (var i = 1; i <= runs; i++)
        {
            if (waitForWarm)
            {
                await WaitForServiceWarmAsync(sandbox);
            }

            var stopwatch = Stopwatch.StartNew();
            var id = await SubmitAsync(service, repo, $"bench-{kind}-{i}");
            await FirstInitAsync(service, id);
            endToEnd.Add(stopwatch.Elapsed.TotalMilliseconds);
            await WaitEndAsync(service, id);
            if (waitForWarm)
            {
                await WaitForServiceWarmAsync(sandbox);
            }

            raw.Add(await RawExec.TimeToInitAsync(baseline, checkout, sandbox.Config.Model.BaseUrl!));
        }

        await sandbox.Runtime.RemoveAsync(baseline, CancellationToken.None);
        return (endToEnd, raw);
    }

    /// <summary>Waits until the service's pool (not this process's) has a warm sandbox running.</summary>
    private static async Task WaitForServiceWarmAsync(AgentSandbox sandbox)
    {
        for (var i = 0; i < 400; i++)
        {
            var warm = (await sandbox.Sandboxes.ListAsync(sandbox.Prefix, CancellationToken.None))
                .Any(c => c.State == "running" && c.Names.Any(n => n.Contains("-warm-", StringComparison.Ordinal))
                    && c.Labels![ResourceNames.PoolLabel] != sandbox.Sandboxes.PoolId);
            if (warm)
            {
                return;
            }

            await Task.Delay(25);
        }
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
