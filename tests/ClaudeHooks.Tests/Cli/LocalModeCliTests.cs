using ClaudeHooks.Cli;

namespace ClaudeHooks.Tests.Cli;

/// <summary>serve, doctor and audit with an agent that runs on the host, run in-process with no engine reachable.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class LocalModeCliTests : IDisposable
{
    private readonly TempDirectory _home = new();
    private readonly string? _previousHome = Environment.GetEnvironmentVariable("CLAUDE_HOOKS_HOME");
    private readonly string? _previousDockerHost = Environment.GetEnvironmentVariable("DOCKER_HOST");

    public LocalModeCliTests()
    {
        Environment.SetEnvironmentVariable("CLAUDE_HOOKS_HOME", _home.Path);
        Environment.SetEnvironmentVariable("DOCKER_HOST", $"unix://{_home.Path}/no-engine.sock");
        _home.Write("tokens/dev", "forge-token");
        _home.Write("claude-auth/dev", "sk-ant-oat01-stand-in");
        _home.Write("secret", "webhook-secret");
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("CLAUDE_HOOKS_HOME", _previousHome);
        Environment.SetEnvironmentVariable("DOCKER_HOST", _previousDockerHost);
        _home.Dispose();
    }

    [Fact]
    public async Task Serve_LocalAgentTakingForgeWork_RefusesToStartNamingTheKey()
    {
        var config = _home.Write("agents.json", """
            { "forge": { "public_url": "http://127.0.0.1:8080", "repositories": { "acme/widgets": { "url": "https://forge.example", "webhook_secret_file": "secret", "flows": ["implement"] } } },
              "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local", "user": "nobody" } } } }
            """);

        var (code, _, error) = await RunAsync("serve", "--config", config, "--urls", "http://127.0.0.1:0");

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains("error: agent dev runs on the host (agents.dev.container.runtime \"local\") and would take forge work: acme/widgets (implement)", error, StringComparison.Ordinal);
        Assert.Contains("set agents.dev.container.allow_local_for_forge to true", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_LocalAgent_WarnsWhatItDoesNotIsolate_AndNeedsNoEngine()
    {
        var config = _home.Write("agents.json", """{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local", "user": "nobody" }, "runner": { "local_cli": "/bin/true" } } } }""");

        var (code, output, _) = await RunAsync("doctor", "--config", config);

        Assert.True(code == ExitCodes.Success, output);
        Assert.Contains("WARN  agent dev: runs Claude Code on the host (container.runtime \"local\"), not in a sandbox:", output, StringComparison.Ordinal);
        Assert.Contains("- the host's network is reachable directly", output, StringComparison.Ordinal);
        Assert.Contains("ok    agent dev: Claude Code CLI \"/bin/true\" (agents.dev.runner.local_cli), setpriv and setsid", output, StringComparison.Ordinal);
        Assert.Contains("note  docker engine: not reachable, and not needed while every agent runs on the host", output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_LocalCliMissing_FailsNamingTheKey()
    {
        var config = _home.Write("agents.json", """{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local", "user": "nobody" }, "runner": { "local_cli": "/nonexistent/claude" } } } }""");

        var (code, output, _) = await RunAsync("doctor", "--config", config);

        Assert.Equal(ExitCodes.CheckFailed, code);
        Assert.Contains("fix: the Claude Code CLI \"/nonexistent/claude\" that local agent dev runs was not found; install it, or set agents.dev.runner.local_cli to its absolute path", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_LocalAgent_FailsWithoutAnEngine_SayingNoSandboxCheckApplies()
    {
        var config = _home.Write("agents.json", """{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local", "user": "nobody" } } } }""");

        var (code, output, _) = await RunAsync("audit", "--config", config);

        Assert.Equal(ExitCodes.CheckFailed, code);
        Assert.Contains("runs in a sandbox", output, StringComparison.Ordinal);
        Assert.Contains("FAIL", output, StringComparison.Ordinal);
        Assert.Contains("audit FAILED: 1 of 1 checks", output, StringComparison.Ordinal);
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => CliTests.RunAsync(args);
}
