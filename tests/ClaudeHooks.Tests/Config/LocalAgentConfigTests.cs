using ClaudeHooks.Config;

namespace ClaudeHooks.Tests.Config;

/// <summary>The keys of an agent that runs on the host (<c>container.runtime: "local"</c>).</summary>
public sealed class LocalAgentConfigTests : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Parse_LocalAgent_TakesClaudeOnThePathAndKeepsNoWarmSandboxes()
    {
        var dev = Assert.Single(Parse("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local" } } } }""").Agents);

        Assert.True(dev.IsLocal);
        Assert.Equal("claude", dev.Runner.LocalCli);
        Assert.Equal(0, dev.WarmSandboxes);
    }

    [Fact]
    public void Parse_LocalCliAbsolute_IsKept()
    {
        var dev = Assert.Single(Parse("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local" }, "runner": { "local_cli": "/opt/claude/bin/claude" } } } }""").Agents);

        Assert.Equal("/opt/claude/bin/claude", dev.Runner.LocalCli);
    }

    [Theory]
    [InlineData("bin/claude")]
    [InlineData("-x")]
    [InlineData("claude --verbose")]
    public void Parse_LocalCliNeitherAbsoluteNorAName_IsRefusedNamingTheKey(string cli)
    {
        var e = Assert.Throws<ConfigException>(() => Parse($$"""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local" }, "runner": { "local_cli": "{{cli}}" } } } }"""));

        Assert.Contains(e.Errors, m => m.Contains("agents.dev.runner.local_cli", StringComparison.Ordinal) && m.Contains("absolute path", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_LocalAgentWithWarmSandboxes_IsRefused()
    {
        var e = Assert.Throws<ConfigException>(() => Parse("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "warm_sandboxes": 2, "container": { "runtime": "local" } } } }"""));

        Assert.Contains(e.Errors, m => m.Contains("agents.dev.warm_sandboxes", StringComparison.Ordinal) && m.Contains("no sandboxes", StringComparison.Ordinal));
    }

    private AgentsConfig Parse(string json) => ConfigLoader.Parse("/etc/claude-hooks/agents.json", json, new ClaudeHooksPaths(_home.Path));
}
