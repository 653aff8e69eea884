using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ClaudeHooks.Containers;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.Bench;

/// <summary>Signed webhook deliveries accepted per second by a real service process, each stored durably before the 202.</summary>
internal static class WebhookBenchmark
{
    public static async Task RunAsync()
    {
        using var docker = DockerConnection.Create();
        await using var sandbox = await RawExec.StartSandboxAsync(docker);
        const string secret = "bench-webhook-secret";
        AgentSandbox.WriteSecret(Path.Combine(sandbox.Home, "webhooks", "bench"), secret);
        var config = JsonNode.Parse(await File.ReadAllTextAsync(sandbox.ConfigFile))!.AsObject();
        config["forge"] = new JsonObject
        {
            ["reconcile_interval"] = "1h",
            ["repositories"] = new JsonObject { ["bench/repo"] = new JsonObject { ["url"] = "http://127.0.0.1:9", ["webhook_secret_file"] = "webhooks/bench", ["flows"] = new JsonArray() } },
        };
        var configFile = Path.Combine(sandbox.Home, "forge-bench.json");
        await File.WriteAllTextAsync(configFile, config.ToJsonString());
        var data = Directory.CreateTempSubdirectory("claude-hooks-bench-").FullName;
        await using var service = await ServiceProcess.StartAsync(configFile, sandbox.Home, data, ServiceProcess.FreePort());
        using var http = new HttpClient { BaseAddress = service.BaseUrl };

        // A push event: verified, stored and routed to "no flow", so the figure is the receiver's own cost.
        var body = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["ref"] = "refs/heads/main",
            ["repository"] = new JsonObject { ["full_name"] = "bench/repo" },
            ["sender"] = new JsonObject { ["login"] = "alice" },
            ["commits"] = new JsonArray(Enumerable.Range(0, 5).Select(i => (JsonNode)new JsonObject { ["id"] = new string('a', 40), ["message"] = new string('m', 200) }).ToArray()),
        }.ToJsonString());
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

        async Task<double> SendAsync()
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, "webhook/forgejo") { Content = content };
            request.Headers.Add("X-Forgejo-Delivery", Guid.NewGuid().ToString());
            request.Headers.Add("X-Forgejo-Event", "push");
            request.Headers.Add("X-Forgejo-Event-Type", "push");
            request.Headers.Add("X-Forgejo-Signature", signature);
            var stopwatch = Stopwatch.StartNew();
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            return stopwatch.Elapsed.TotalMilliseconds;
        }

        for (var i = 0; i < 50; i++)
        {
            await SendAsync();
        }

        var sequential = new List<double>();
        for (var i = 0; i < 500; i++)
        {
            sequential.Add(await SendAsync());
        }

        var concurrent = new List<double>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (DateTime.UtcNow < deadline)
            {
                var latency = await SendAsync();
                lock (concurrent)
                {
                    concurrent.Add(latency);
                }
            }
        }));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"webhook: sequential: p50 {Stats.Percentile(sequential, 50):0.00} ms, p99 {Stats.Percentile(sequential, 99):0.00} ms (500 signed deliveries)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"webhook: sustained: {concurrent.Count / clock.Elapsed.TotalSeconds:0} accepted deliveries/s with 8 clients; p50 {Stats.Percentile(concurrent, 50):0.00} ms, p99 {Stats.Percentile(concurrent, 99):0.00} ms"));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
