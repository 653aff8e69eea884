using System.Diagnostics;
using ClaudeHooks.Containers;
using ClaudeHooks.TestServers;
using Docker.DotNet;

namespace ClaudeHooks.Bench;

/// <summary>The baseline: <c>docker exec &lt;container&gt; claude -p ...</c> by hand, and the sandbox both benchmarks run in.</summary>
internal static class RawExec
{
    public const string ApiKey = "sk-ant-api03-bench";

    public static async Task<AgentSandbox> StartSandboxAsync(DockerClient docker)
    {
        await DockerConnection.EnsureReachableAsync(docker, CancellationToken.None);
        const string image = "claude-hooks/agent-base:latest";
        await AgentSandbox.EnsureImageAsync(docker, image);
        var prefix = AgentSandbox.NewPrefix("chb");
        return await AgentSandbox.StartAsync(docker, prefix, $$"""
            { "container_prefix": "{{prefix}}", "images": { "default": "{{image}}" },
              "agents": { "dev": { "role": "dev", "forge_user": "bench-dev", "claude_auth": { "api_key_file": "claude-auth/dev" },
                                   "runner": { "timeout": "5m", "idle_timeout": "1m" } } } }
            """,
            new Dictionary<string, string> { ["tokens/dev"] = "bench-token", ["claude-auth/dev"] = ApiKey },
            serverAgent: "dev");
    }

    /// <summary>Milliseconds from starting the docker client to the CLI's <c>system/init</c> line.</summary>
    public static async Task<double> TimeToInitAsync(string container, string worktree, Uri baseUrl)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "exec", "-i", "-u", "claude", "-w", worktree, "-e", "ANTHROPIC_API_KEY", "-e", $"ANTHROPIC_BASE_URL={baseUrl}",
            "-e", "CLAUDE_CONFIG_DIR=/state/claude", "-e", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "-e", "DISABLE_AUTOUPDATER=1",
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
}
