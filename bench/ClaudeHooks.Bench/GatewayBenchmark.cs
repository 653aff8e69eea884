using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using ClaudeHooks.Containers;
using ClaudeHooks.Gateway;
using ClaudeHooks.TestServers;
using ClaudeHooks.Workdir;

namespace ClaudeHooks.Bench;

/// <summary>
/// What the gateway costs: time to first byte and streaming throughput on the model route (through a sandbox
/// socket from the host, against the scripted model directly), a 2-turn Claude Code run in a sandbox through the
/// gateway against the same run in a container on the host's network pointed straight at the model, and a clone of
/// a 50 MB repository through the gateway against a direct one.
/// </summary>
internal static class GatewayBenchmark
{
    public static async Task RunAsync(int runs)
    {
        using var docker = DockerConnection.Create();
        await using var sandbox = await RawExec.StartSandboxAsync(docker, warmSandboxes: 0);
        var agent = sandbox.Config.Find("dev")!;
        var repo = await sandbox.Git.CreateRepositoryAsync("bench", "gateway", new Dictionary<string, string> { ["README.md"] = "# bench\n" });
        var repository = RepositoryUrl.Parse(repo, allowLocal: false);

        // A socket bound to a task, reached from here exactly as a sandbox's forwarder reaches it.
        const string socketId = "benchsocket";
        var folder = sandbox.Gateway.OpenSandbox(socketId, agent.Name);
        sandbox.Gateway.BindTask("bench", agent, repository, "bench");
        sandbox.Gateway.AttachSandbox(socketId, agent.Name, "bench");
        using var viaGateway = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(folder, HostGateway.SandboxSocketName)), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        }) { BaseAddress = new Uri("http://127.0.0.1:7411") };
        using var direct = new HttpClient { BaseAddress = sandbox.Config.Model.BaseUrl };

        await TimeToFirstByteAsync(direct, viaGateway, runs * 5);
        await ThroughputAsync(sandbox, direct, viaGateway, Math.Max(3, runs / 4));
        await TwoTurnRunAsync(sandbox, agent, repository, Math.Max(5, runs / 2));
        await CloneAsync(sandbox, agent, Math.Max(3, runs / 4));
        sandbox.Gateway.CloseSandbox(socketId);
    }

    private static async Task TimeToFirstByteAsync(HttpClient direct, HttpClient viaGateway, int runs)
    {
        const string body = """{"model":"claude-bench","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hi"}]}""";
        async Task<double> OnceAsync(HttpClient client)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("x-api-key", ModelCredential.Placeholder);
            request.Headers.Add("anthropic-version", "2023-06-01");
            var stopwatch = Stopwatch.StartNew();
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var stream = await response.Content.ReadAsStreamAsync();
            var first = new byte[1];
            _ = await stream.ReadAsync(first);
            var elapsed = stopwatch.Elapsed.TotalMilliseconds;
            await stream.CopyToAsync(Stream.Null);
            return response.IsSuccessStatusCode ? elapsed : throw new InvalidOperationException($"model request failed: {(int)response.StatusCode}");
        }

        for (var i = 0; i < 20; i++)
        {
            await OnceAsync(direct);
            await OnceAsync(viaGateway);
        }

        var (plain, gated) = (new List<double>(), new List<double>());
        for (var i = 0; i < runs; i++)
        {
            plain.Add(await OnceAsync(direct));
            gated.Add(await OnceAsync(viaGateway));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gateway: model route time to first byte: direct p50 {Stats.Percentile(plain, 50):0.00} ms p99 {Stats.Percentile(plain, 99):0.00} ms; through the gateway p50 {Stats.Percentile(gated, 50):0.00} ms p99 {Stats.Percentile(gated, 99):0.00} ms; added p50 {Stats.Percentile(gated, 50) - Stats.Percentile(plain, 50):0.00} ms, p99 {Stats.Percentile(gated, 99) - Stats.Percentile(plain, 99):0.00} ms ({runs} requests each)"));
    }

    private static async Task ThroughputAsync(AgentSandbox sandbox, HttpClient direct, HttpClient viaGateway, int runs)
    {
        var text = new string('x', 16 * 1024 * 1024);
        const string body = """{"model":"claude-bench","max_tokens":16,"stream":true,"tools":[{"name":"Bash","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"throughput"}]}""";
        async Task<double> OnceAsync(HttpClient client)
        {
            sandbox.Model.Enqueue(ScriptedTurn.Text(text));
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("x-api-key", ModelCredential.Placeholder);
            var stopwatch = Stopwatch.StartNew();
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var stream = await response.Content.ReadAsStreamAsync();
            var counted = new CountingStream(Stream.Null);
            await stream.CopyToAsync(counted);
            return counted.Count / 1048576.0 / stopwatch.Elapsed.TotalSeconds;
        }

        await OnceAsync(direct);
        await OnceAsync(viaGateway);
        var (plain, gated) = (new List<double>(), new List<double>());
        for (var i = 0; i < runs; i++)
        {
            plain.Add(await OnceAsync(direct));
            gated.Add(await OnceAsync(viaGateway));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gateway: streaming a 16 MB answer: direct {Stats.Percentile(plain, 50):0} MB/s, through the gateway {Stats.Percentile(gated, 50):0} MB/s (medians of {runs})"));
    }

    /// <summary>The same 2-turn run (a Bash call, then an answer) by <c>docker exec claude -p</c>: in a sandbox through the gateway, and in a container on the host's network straight at the model.</summary>
    private static async Task TwoTurnRunAsync(AgentSandbox sandbox, ClaudeHooks.Config.AgentConfig agent, RepositoryUrl repository, int runs)
    {
        var box = await sandbox.Sandboxes.AcquireAsync(agent, "benchrun", CancellationToken.None);
        sandbox.Gateway.BindTask("benchrun", agent, repository, "benchrun");
        sandbox.Gateway.AttachSandbox(box.SocketId, agent.Name, "benchrun");
        var (baseline, checkout) = await RawExec.BaselineAsync(sandbox, sandbox.Git.Url("bench", "gateway"));
        try
        {
            async Task<double> OnceAsync(string container, string baseUrl, string workdir)
            {
                var marker = "two-turn-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
                sandbox.Model.EnqueueFor(marker, ScriptedTurn.Bash("echo one"), ScriptedTurn.Text("done"));
                return await RawExec.TimeToResultAsync(container, workdir, baseUrl, $"{marker}: run it.");
            }

            await OnceAsync(box.Id, HostGateway.LocalUrl, "/home/claude");
            await OnceAsync(baseline, sandbox.Config.Model.BaseUrl!.ToString().TrimEnd('/'), checkout);
            var (plain, gated) = (new List<double>(), new List<double>());
            for (var i = 0; i < runs; i++)
            {
                gated.Add(await OnceAsync(box.Id, HostGateway.LocalUrl, "/home/claude"));
                plain.Add(await OnceAsync(baseline, sandbox.Config.Model.BaseUrl!.ToString().TrimEnd('/'), checkout));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"gateway: 2-turn Claude Code run: straight at the model p50 {Stats.Percentile(plain, 50):0} ms, through the gateway p50 {Stats.Percentile(gated, 50):0} ms; ratio of medians {Stats.Percentile(gated, 50) / Stats.Percentile(plain, 50):0.000} (target <= 1.03; {runs} runs each)"));
        }
        finally
        {
            await sandbox.Runtime.RemoveAsync(baseline, CancellationToken.None);
            await sandbox.Sandboxes.ReleaseAsync(box);
            sandbox.Gateway.UnbindTask("benchrun");
        }
    }

    private static async Task CloneAsync(AgentSandbox sandbox, ClaudeHooks.Config.AgentConfig agent, int runs)
    {
        // 50 MB of files that do not compress much, so the pack is about as large as the tree.
        var files = new Dictionary<string, string>();
        for (var i = 0; i < 50; i++)
        {
            files[$"data/blob-{i:00}.txt"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(768 * 1024));
        }

        var url = await sandbox.Git.CreateRepositoryAsync("bench", "large", files);
        var repository = RepositoryUrl.Parse(url, allowLocal: false);
        var box = await sandbox.Sandboxes.AcquireAsync(agent, "benchclone", CancellationToken.None);
        sandbox.Gateway.BindTask("benchclone", agent, repository, "benchclone");
        sandbox.Gateway.AttachSandbox(box.SocketId, agent.Name, "benchclone");
        var (baseline, _) = await RawExec.BaselineAsync(sandbox, sandbox.Git.Url("bench", "gateway"));
        try
        {
            async Task<double> OnceAsync(string container, string from)
            {
                var stopwatch = Stopwatch.StartNew();
                var result = await sandbox.Runtime.ExecAsync(container, ["sh", "-c", "rm -rf /work/clone && git clone -q \"$1\" /work/clone && du -sm /work/clone/.git | cut -f1", "clone", from], user: "claude", cancellationToken: CancellationToken.None);
                var elapsed = stopwatch.Elapsed.TotalMilliseconds;
                return result.Succeeded ? elapsed : throw new InvalidOperationException($"clone from {from} failed: {result.Stderr}");
            }

            var throughGateway = HostGateway.LocalUrl + repository.GatewayPath;
            await OnceAsync(box.Id, throughGateway);
            await OnceAsync(baseline, url);
            var (plain, gated) = (new List<double>(), new List<double>());
            for (var i = 0; i < runs; i++)
            {
                gated.Add(await OnceAsync(box.Id, throughGateway));
                plain.Add(await OnceAsync(baseline, url));
            }

            var size = await sandbox.Runtime.ExecAsync(box.Id, ["du", "-sm", "/work/clone/.git"], user: "claude", cancellationToken: CancellationToken.None);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"gateway: git clone of a {size.Stdout.Split('\t')[0]} MB pack: direct p50 {Stats.Percentile(plain, 50):0} ms, through the gateway p50 {Stats.Percentile(gated, 50):0} ms; ratio {Stats.Percentile(gated, 50) / Stats.Percentile(plain, 50):0.00} ({runs} clones each)"));
        }
        finally
        {
            await sandbox.Runtime.RemoveAsync(baseline, CancellationToken.None);
            await sandbox.Sandboxes.ReleaseAsync(box);
            sandbox.Gateway.UnbindTask("benchclone");
        }
    }
}
