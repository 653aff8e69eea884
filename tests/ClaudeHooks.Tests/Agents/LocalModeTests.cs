using ClaudeHooks.Agents;
using ClaudeHooks.Config;

namespace ClaudeHooks.Tests.Agents;

/// <summary>How the service speaks of agents that run on the host, and whom serve refuses.</summary>
public sealed class LocalModeTests : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Theory]
    [InlineData("local", "local", "local")]
    [InlineData("local", "runc", "mixed")]
    [InlineData("runc", "runc", "docker")]
    public void Of_TheAgentsRuntimes_NameTheMode(string dev, string reviewer, string mode)
    {
        var config = Parse($$"""
            { "agents": {
                "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "{{dev}}" } },
                "reviewer": { "role": "reviewer", "forge_user": "r", "container": { "runtime": "{{reviewer}}" } } } }
            """);

        Assert.Equal(mode, LocalMode.Of(config));
        Assert.Equal(mode == "docker", LocalMode.Warning(config) is null);
    }

    [Fact]
    public void Warning_LocalAgent_NamesItAndWhatItDoesNotIsolate()
    {
        var warning = LocalMode.Warning(Parse("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local" } } } }"""));

        Assert.NotNull(warning);
        Assert.StartsWith("local mode: agent(s) dev run Claude Code as a host process", warning, StringComparison.Ordinal);
        Assert.Contains("~/.claude.json, SSH keys and tokens", warning, StringComparison.Ordinal);
        Assert.Contains("nothing stops a process from connecting anywhere else", warning, StringComparison.Ordinal);
        Assert.Contains("no memory, CPU or process limits", warning, StringComparison.Ordinal);
        Assert.Contains("any process on the host can connect to its gateway port", warning, StringComparison.Ordinal);
        Assert.Contains("survives", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void ForgeRefusals_LocalDevInTheImplementFlow_RefusesNamingTheKey()
    {
        var refusal = Assert.Single(LocalMode.ForgeRefusals(Parse(Forge("\"implement\", \"review\"", ""))));

        Assert.Contains("agent dev runs on the host", refusal, StringComparison.Ordinal);
        Assert.Contains("acme/widgets (implement)", refusal, StringComparison.Ordinal);
        Assert.Contains("agents.dev.container.allow_local_for_forge", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void ForgeRefusals_AllowLocalForForge_AcceptsIt()
    {
        Assert.Empty(LocalMode.ForgeRefusals(Parse(Forge("\"implement\"", ", \"allow_local_for_forge\": true"))));
    }

    [Fact]
    public void ForgeRefusals_FlowsThatNeverReachTheLocalAgent_AcceptIt()
    {
        Assert.Empty(LocalMode.ForgeRefusals(Parse(Forge("\"review\"", ""))));
    }

    [Fact]
    public void ForgeRefusals_MentionFlow_ReachesEveryAgent()
    {
        Assert.Contains("acme/widgets (mention)", Assert.Single(LocalMode.ForgeRefusals(Parse(Forge("\"review\", \"mention\"", "")))), StringComparison.Ordinal);
    }

    [Fact]
    public void RunEnvironment_IsMadeFromScratch_WithThePlaceholderAndTheTasksGateway()
    {
        Environment.SetEnvironmentVariable("CLAUDE_HOOKS_LOCAL_TEST_SECRET", "must-not-pass");
        try
        {
            var dev = Parse("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "claude_auth": { "api_key_file": "k" }, "container": { "runtime": "local" } } } }""").Agents[0];

            var environment = LocalRunner.RunEnvironment(dev, "http://127.0.0.1:40001", "/tmp/t/home", "CLAUDE_HOOKS_LOCAL_TASK=t1")
                .ToDictionary(v => v[..v.IndexOf('=', StringComparison.Ordinal)], v => v[(v.IndexOf('=', StringComparison.Ordinal) + 1)..], StringComparer.Ordinal);

            Assert.DoesNotContain("CLAUDE_HOOKS_LOCAL_TEST_SECRET", environment.Keys);
            Assert.Equal(ClaudeHooks.Gateway.ModelCredential.Placeholder, environment["ANTHROPIC_API_KEY"]);
            Assert.Equal("http://127.0.0.1:40001", environment["ANTHROPIC_BASE_URL"]);
            Assert.Equal("http://127.0.0.1:40001", environment["HTTPS_PROXY"]);
            Assert.Equal("/tmp/t/home", environment["HOME"]);
            Assert.Equal("/tmp/t/home/.claude", environment["CLAUDE_CONFIG_DIR"]);
            Assert.Equal("1", environment["DISABLE_AUTOUPDATER"]);
            Assert.Equal("1", environment["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"]);
            Assert.Equal("d", environment["GIT_AUTHOR_NAME"]);
            Assert.Equal("t1", environment["CLAUDE_HOOKS_LOCAL_TASK"]);
            Assert.Empty(environment.Keys.Except(
            [
                "PATH", "LANG", "TZ", "HOME", "CLAUDE_CONFIG_DIR", "DISABLE_AUTOUPDATER", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY",
                "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy", "GIT_TERMINAL_PROMPT", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL",
                "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "CLAUDE_HOOKS_LOCAL_TASK",
            ]));
        }
        finally
        {
            Environment.SetEnvironmentVariable("CLAUDE_HOOKS_LOCAL_TEST_SECRET", null);
        }
    }

    private static string Forge(string flows, string allow) => $$"""
        { "forge": { "public_url": "http://127.0.0.1:8080", "repositories": { "acme/widgets": { "url": "https://forge.example", "webhook_secret_file": "s", "flows": [{{flows}}] } } },
          "agents": {
            "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local"{{allow}} } },
            "reviewer": { "role": "reviewer", "forge_user": "r" } } }
        """;

    private AgentsConfig Parse(string json) => ConfigLoader.Parse("/etc/claude-hooks/agents.json", json, new ClaudeHooksPaths(_home.Path));
}
