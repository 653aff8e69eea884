using System.Diagnostics;
using ClaudeHooks.Containers;
using ClaudeHooks.TestServers;
using ClaudeHooks.Workdir;
using Docker.DotNet;

namespace ClaudeHooks.Bench;

/// <summary>
/// The baseline: <c>docker exec &lt;container&gt; claude -p ...</c> by hand, in a sandbox of the agent kept for the
/// whole run with a checkout already in it; and the set of agent containers every benchmark runs against.
/// </summary>
internal static class RawExec
{
    public const string ApiKey = "sk-ant-api03-bench";

    public static async Task<AgentSandbox> StartSandboxAsync(DockerClient docker, int warmSandboxes = 1)
    {
        await DockerConnection.EnsureReachableAsync(docker, CancellationToken.None);
        const string image = "claude-hooks/agent-base:latest";
        await AgentSandbox.EnsureImageAsync(docker, image);
        var prefix = AgentSandbox.NewPrefix("chb");
        return await AgentSandbox.StartAsync(docker, prefix, $$"""
            { "container_prefix": "{{prefix}}", "images": { "default": "{{image}}" },
              "agents": { "dev": { "role": "dev", "forge_user": "bench-dev", "claude_auth": { "api_key_file": "claude-auth/dev" }, "warm_sandboxes": {{warmSandboxes}},
                                   "runner": { "timeout": "5m", "idle_timeout": "1m" } } } }
            """,
            new Dictionary<string, string> { ["tokens/dev"] = "bench-token", ["claude-auth/dev"] = ApiKey },
            serverAgent: "dev");
    }

    /// <summary>
    /// A container made like the agent's sandboxes (same spec) that lives for the whole benchmark, with a checkout of
    /// <paramref name="repo"/>, for the raw runs. It is not labelled as a sandbox, so a service's reaper leaves it alone.
    /// </summary>
    public static async Task<(string Id, string Checkout)> BaselineAsync(AgentSandbox sandbox, string repo)
    {
        var agent = sandbox.Config.Find("dev")!;
        var repository = RepositoryUrl.Parse(repo, allowLocal: false);
        var cache = CacheNames.Load(sandbox.Paths).PathFor(agent.Name, repository);
        sandbox.Gateway.BindTask("baseline", agent, repository, "baseline");
        var cached = await new RepositoryCache(sandbox.Runtime).PrepareAsync(ResourceNames.Container(sandbox.Prefix, "dev"), agent, cache, repository, "dev/baseline", null, null, "baseline",
            AgentCredentials.MaintenanceEnvironment(agent, "baseline", sandbox.Gateway.MaintenanceSocket), CancellationToken.None);
        sandbox.Gateway.UnbindTask("baseline");

        // The host's network, so the CLI reaches the scripted model on loopback without the gateway: the raw baseline.
        var spec = ContainerSpecFactory.CreateSandbox(sandbox.Config, agent, $"{sandbox.Prefix}-dev-baseline-{Guid.NewGuid():N}"[..40], new Dictionary<string, string>(), "baseline");
        var labels = new Dictionary<string, string>(spec.Labels) { [ResourceNames.KindLabel] = "bench-baseline" };
        var mounts = spec.Mounts.Where(m => m.Target != ClaudeHooks.Gateway.HostGateway.ContainerDirectory).ToList();
        var environment = spec.Environment.Where(e => !e.StartsWith(ContainerSpecFactory.ForwarderVariable, StringComparison.Ordinal)).ToList();
        var id = await sandbox.Runtime.CreateAndStartAsync(ContainerConfigurationConverter.ToCreateParameters(spec with { Labels = labels, Network = "host", Mounts = mounts, Environment = environment }), CancellationToken.None);
        var checkout = repository.CheckoutPath("baseline");
        await new SandboxCheckout(sandbox.Runtime).CloneAsync(id, "claude", cache, checkout, "dev/baseline", cached.StartCommit, repository.Url, AgentCredentials.RunEnvironment(agent), CancellationToken.None);
        return (id, checkout);
    }

    /// <summary>Milliseconds from starting the docker client to the CLI's <c>system/init</c> line.</summary>
    public static async Task<double> TimeToInitAsync(string container, string checkout, Uri baseUrl)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "exec", "-i", "-u", "claude", "-w", checkout, "-e", "ANTHROPIC_API_KEY", "-e", $"ANTHROPIC_BASE_URL={baseUrl}",
            "-e", $"CLAUDE_CONFIG_DIR={ResourceNames.SandboxClaudeConfigDir}", "-e", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "-e", "DISABLE_AUTOUPDATER=1",
            container, "claude", "-p", "--output-format=stream-json", "--verbose", $"--session-id={Guid.NewGuid()}", "--max-turns=100", "--permission-mode=bypassPermissions",
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ANTHROPIC_API_KEY"] = ApiKey;
        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync("Say hello.");
        process.StandardInput.Close();
        var elapsed = double.NaN;
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

    /// <summary>Milliseconds from starting the docker client until <c>claude -p</c> exits after its run.</summary>
    public static async Task<double> TimeToResultAsync(string container, string workdir, string baseUrl, string prompt)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "exec", "-i", "-u", "claude", "-w", workdir, "-e", "ANTHROPIC_API_KEY", "-e", $"ANTHROPIC_BASE_URL={baseUrl}",
            "-e", $"CLAUDE_CONFIG_DIR={ResourceNames.SandboxClaudeConfigDir}", "-e", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "-e", "DISABLE_AUTOUPDATER=1",
            container, "claude", "-p", "--output-format=stream-json", "--verbose", $"--session-id={Guid.NewGuid()}", "--max-turns=10", "--permission-mode=bypassPermissions",
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ANTHROPIC_API_KEY"] = ApiKey;
        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(prompt);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = stopwatch.Elapsed.TotalMilliseconds;
        return process.ExitCode == 0 && output.Contains("\"subtype\":\"success\"", StringComparison.Ordinal)
            ? elapsed
            : throw new InvalidOperationException($"the run in {container} failed ({process.ExitCode}): {await process.StandardError.ReadToEndAsync()} {output[^Math.Min(output.Length, 500)..]}");
    }
}
