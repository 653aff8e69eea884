using ClaudeHooks.Api;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Tests.Api;

/// <summary>What keeps an agent from running: its credentials as the gateway reads them, and what the engine lacks.</summary>
public sealed class AgentReadinessTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Credentials_BothFilesInPlace_NoBlocker()
    {
        _home.Write("tokens/dev", "forge-token");
        _home.Write("claude-auth/dev", "sk-ant-oat01-stand-in");

        Assert.Empty(AgentReadiness.Credentials(Agent(), Paths, new ManualClock(Now)));
    }

    [Fact]
    public void Credentials_ForgeTokenMissing_NamesTheFileAndSaysWhatToWrite()
    {
        _home.Write("claude-auth/dev", "sk-ant-oat01-stand-in");

        var blocker = Assert.Single(AgentReadiness.Credentials(Agent(), Paths, new ManualClock(Now)));

        Assert.Equal($"forge token {_home.Path}/tokens/dev: not found", blocker.Reason);
        Assert.Equal($"write the dev agent's forge token (user d) there and run 'chmod 600 {_home.Path}/tokens/dev'", blocker.Fix);
    }

    [Fact]
    public void Credentials_ModelCredentialOpenToOthers_SaysTheChmod()
    {
        _home.Write("tokens/dev", "forge-token");
        _home.Write("claude-auth/dev", "sk-ant-oat01-stand-in", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var blocker = Assert.Single(AgentReadiness.Credentials(Agent(), Paths, new ManualClock(Now)));

        Assert.StartsWith("model credential (oauth_token_file)", blocker.Reason, StringComparison.Ordinal);
        Assert.Contains("readable or writable by other users", blocker.Reason, StringComparison.Ordinal);
        Assert.Equal($"run 'chmod 600 {_home.Path}/claude-auth/dev'", blocker.Fix);
    }

    [Fact]
    public void Credentials_ClaudeLoginExpired_SaysWhenAndHowToRefreshIt()
    {
        _home.Write("tokens/dev", "forge-token");
        var expired = Now.AddMinutes(-5).ToUnixTimeMilliseconds();
        _home.Write("credentials/dev/.credentials.json", $$$"""{"claudeAiOauth":{"accessToken":"a","refreshToken":"r","expiresAt":{{{expired}}}}}""");
        var agent = Agent("""{ "credentials_host_dir": "credentials/dev" }""");

        var blocker = Assert.Single(AgentReadiness.Credentials(agent, Paths, new ManualClock(Now)));

        Assert.Contains("the OAuth access token expired at 2026-12-02 11:55:00Z", blocker.Reason, StringComparison.Ordinal);
        Assert.StartsWith("run 'claude' on the host as the user that owns it to refresh the login", blocker.Fix, StringComparison.Ordinal);
        Assert.Empty(AgentReadiness.Credentials(agent, Paths, new ManualClock(Now.AddMinutes(-10))));
    }

    [Fact]
    public void Engine_ImageAndRuntimeMissing_AndContainerUnhealthy_EachWithItsFix()
    {
        var agent = Agent(container: """{ "runtime": "runsc" }""");
        var status = new EngineStatus(true, false, "claude-hooks/agent-base:latest", true,
            [new AgentStatus("dev", "dev", "claude-hooks-dev", "running", "unhealthy", "i", null, 0, 0)], [])
        {
            MissingImages = [agent.Image],
            Runtimes = ["runc"],
        };

        var blockers = AgentReadiness.Engine(agent, status).ToList();

        Assert.Equal(3, blockers.Count);
        Assert.Equal($"image {agent.Image} is missing", blockers[0].Reason);
        Assert.StartsWith("run 'claude-hooks images build'", blockers[0].Fix, StringComparison.Ordinal);
        Assert.Equal("runtime runsc (agents.dev.container.runtime) is not registered with the engine", blockers[1].Reason);
        Assert.Contains("or remove agents.dev.container.runtime (the engine has: runc)", blockers[1].Fix, StringComparison.Ordinal);
        Assert.StartsWith("container claude-hooks-dev is unhealthy", blockers[2].Reason, StringComparison.Ordinal);
        Assert.StartsWith("run 'claude-hooks containers up dev'", blockers[2].Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Engine_Unreachable_OneBlocker_AndALocalAgentNeedsNone()
    {
        var down = new EngineStatus(false, false, "i", false, [], ["cannot reach the Docker engine"]);

        Assert.Equal("the Docker engine cannot be reached", Assert.Single(AgentReadiness.Engine(Agent(), down)).Reason);
        Assert.Empty(AgentReadiness.Engine(Agent(container: """{ "runtime": "local", "user": "nobody" }"""), down));
    }

    private ClaudeHooksPaths Paths => new(_home.Path);

    [Fact]
    public void Credentials_GitHubAppAgent_NeedsItsKeyNotATokenFile()
    {
        _home.Write("claude-auth/dev", "sk-ant-oat01-stand-in");
        var agent = ConfigLoader.Parse("/etc/claude-hooks/agents.json", """
            { "agents": { "dev": { "role": "lead", "forge_user": "claude-lead[bot]", "claude_auth": { "oauth_token_file": "claude-auth/dev" },
                                   "github_app": { "app_id": 7, "private_key_file": "github-app/lead.pem" } } } }
            """, Paths).Agents[0];

        var missing = Assert.Single(AgentReadiness.Credentials(agent, Paths, new ManualClock(Now)));
        _home.Write("github-app/lead.pem", "-----BEGIN RSA PRIVATE KEY-----\nstand-in\n-----END RSA PRIVATE KEY-----\n");

        Assert.StartsWith($"GitHub App private key {_home.Path}/github-app/lead.pem: not found", missing.Reason, StringComparison.Ordinal);
        Assert.Contains("GitHub App private key", missing.Fix, StringComparison.Ordinal);
        Assert.Empty(AgentReadiness.Credentials(agent, Paths, new ManualClock(Now)));
    }

    private AgentConfig Agent(string auth = """{ "oauth_token_file": "claude-auth/dev" }""", string container = "{}") =>
        ConfigLoader.Parse("/etc/claude-hooks/agents.json", $$"""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "claude_auth": {{auth}}, "container": {{container}} } } }""", Paths).Agents[0];
}
