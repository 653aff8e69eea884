using ClaudeHooks.Config;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Tests.Containers;

public sealed class AgentCredentialsTests : IDisposable
{
    private readonly TempDirectory _home = new();
    private readonly AgentsConfig _config;
    private readonly AgentCredentials _credentials;

    public AgentCredentialsTests()
    {
        var paths = new ClaudeHooksPaths(_home.Path);
        _config = ConfigLoader.Parse("agents.json", """
            { "model": { "base_url": "http://10.0.0.1:9000/" },
              "agents": { "dev": { "role": "dev", "forge_user": "d" },
                          "reviewer": { "role": "reviewer", "forge_user": "r", "claude_auth": { "api_key_file": "keys/reviewer" } } } }
            """, paths);
        _credentials = new AgentCredentials(paths);
    }

    public void Dispose() => _home.Dispose();

    [Fact]
    public void RunEnvironment_PointsEverythingAtTheGateway_AndHoldsOnlyAPlaceholder()
    {
        _home.Write("tokens/dev", "forge-secret-1");
        _home.Write("claude-auth/dev", "oauth-secret-1");
        _home.Write("keys/reviewer", "sk-ant-api-secret");

        var dev = AgentCredentials.RunEnvironment(_config.Find("dev")!);
        var reviewer = AgentCredentials.RunEnvironment(_config.Find("reviewer")!);

        Assert.Contains($"CLAUDE_CODE_OAUTH_TOKEN={ClaudeHooks.Gateway.ModelCredential.Placeholder}", dev);
        Assert.Contains($"ANTHROPIC_API_KEY={ClaudeHooks.Gateway.ModelCredential.Placeholder}", reviewer);
        Assert.Contains("ANTHROPIC_BASE_URL=http://127.0.0.1:7411", dev);
        Assert.Contains("HTTPS_PROXY=http://127.0.0.1:7411", dev);
        Assert.Contains("CLAUDE_CONFIG_DIR=/home/claude/.claude", dev);
        Assert.DoesNotContain(dev.Concat(reviewer), e => e.Contains("secret", StringComparison.Ordinal) || e.StartsWith("FORGE_TOKEN=", StringComparison.Ordinal));
    }

    [Fact]
    public void MaintenanceEnvironment_NamesTheTaskAndSocket_AndHoldsNoToken()
    {
        _home.Write("tokens/dev", "forge-secret-1");

        var environment = AgentCredentials.MaintenanceEnvironment(_config.Find("dev")!, "task1", "/run/claude-hooks/gateway/p1.sock");

        Assert.Contains("GIT_CONFIG_VALUE_3=X-Claude-Hooks-Task: task1", environment);
        Assert.Contains("GATEWAY_SOCKET=/run/claude-hooks/gateway/p1.sock", environment);
        Assert.DoesNotContain(environment, e => e.Contains("forge-secret-1", StringComparison.Ordinal));
    }

    [Fact]
    public void ReadForgeToken_Missing_SaysWhereToWriteIt()
    {
        var error = Assert.Throws<CredentialException>(() => _credentials.ReadForgeToken(_config.Find("dev")!));

        Assert.Contains($"{_home.Path}/tokens/dev: not found; write the dev agent's forge token (user d) there", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadForgeToken_WorldReadable_IsRefused()
    {
        _home.Write("tokens/dev", "t", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var error = Assert.Throws<CredentialException>(() => _credentials.ReadForgeToken(_config.Find("dev")!));

        Assert.Contains("readable or writable by other users (mode 604); run 'chmod 600", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadForgeToken_EmptyOrMultiline_IsRefused()
    {
        _home.Write("tokens/dev", "  \n");
        Assert.Contains("empty", Assert.Throws<CredentialException>(() => _credentials.ReadForgeToken(_config.Find("dev")!)).Message, StringComparison.Ordinal);

        _home.Write("tokens/dev", "a\nb");
        Assert.Contains("more than one line", Assert.Throws<CredentialException>(() => _credentials.ReadForgeToken(_config.Find("dev")!)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadForgeToken_Unreadable_IsRefused()
    {
        if (Environment.UserName == "root")
        {
            // root reads any file regardless of mode; the directory case below still applies.
            Directory.CreateDirectory(Path.Combine(_home.Path, "tokens", "dev"));
            Assert.Contains("not found", Assert.Throws<CredentialException>(() => _credentials.ReadForgeToken(_config.Find("dev")!)).Message, StringComparison.Ordinal);
            return;
        }

        _home.Write("tokens/dev", "t", UnixFileMode.None);
        Assert.Contains("cannot be read", Assert.Throws<CredentialException>(() => _credentials.ReadForgeToken(_config.Find("dev")!)).Message, StringComparison.Ordinal);
    }
}
